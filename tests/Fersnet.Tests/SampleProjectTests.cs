using System.Diagnostics;
using OpenCvSharp;

namespace Fersnet.Tests;

/// <summary>The library used from another .NET project: samples/RecognizePhoto, built without this repository's build files.</summary>
public class SampleProjectTests
{
    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    [Fact]
    public void The_sample_builds_recognises_a_photo_and_redraws_a_face_with_the_bundled_models()
    {
        string project = Path.Combine(TestPaths.RepoRoot, "samples", "RecognizePhoto");
        using var dir = new TempDir();
        var built = Run("dotnet", "build", project, "-c", "Release", "--nologo", "-v", "q", "-o", dir.Combine("bin"));
        Assert.True(built.Code == 0, built.Output);
        // The sample's own output holds an unpatched copy of TorchSharp's native library: the library's load-time fix must make it load.
        foreach (var model in new[] { Fersnet.Imaging.ModelFiles.BundledExpressionModel, Fersnet.Imaging.ModelFiles.BundledSynthesisModel })
            Assert.True(File.Exists(Path.Combine(dir.Path, "bin", model)), $"the bundled {model} was not copied to the consumer's output");

        string redrawn = dir.Combine("redrawn.png");
        var ran = Run("dotnet", dir.Combine("bin", "RecognizePhoto.dll"), Path.Combine(TestPaths.Photos, "sample3.jpg"), "surprise", redrawn);
        Assert.True(ran.Code == 0, ran.Output);
        Assert.Contains("3 face(s) in", ran.Output);
        Assert.Contains("re-drew the first face as surprise", ran.Output);
        Assert.Matches(@"box \d+,\d+ \d+x\d+: [a-z]+ \(\d+ ?%\)", ran.Output);
        using var face = Cv2.ImRead(redrawn, ImreadModes.Unchanged);
        Assert.Equal(new Size(48, 48), face.Size());

        // The synthesis model draws CK+'s seven expressions: neutral is refused in one line, not a stack trace.
        var neutral = Run("dotnet", dir.Combine("bin", "RecognizePhoto.dll"), Path.Combine(TestPaths.Photos, "sample3.jpg"), "neutral", redrawn);
        Assert.Equal(2, neutral.Code);
        Assert.Contains("does not draw neutral", neutral.Output);
        Assert.DoesNotContain("   at ", neutral.Output);
    }
}
