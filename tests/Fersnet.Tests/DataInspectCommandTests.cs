using Fersnet.Cli;
using Spectre.Console.Cli.Testing;

namespace Fersnet.Tests;

public class DataInspectCommandTests
{
    private static CommandAppResult Run(params string[] args)
    {
        var app = new CommandAppTester();
        app.Configure(FersnetCli.Configure);
        return app.Run(args);
    }

    [Fact]
    public void Inspect_ckplus48_reports_images_classes_subjects()
    {
        var result = Run("data", "inspect", TestPaths.CkPlus);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("layout: CkPlus, images: 981, classes: 7, subjects: 118, skipped: 0", result.Output);
        Assert.Matches(@"contempt\s*│\s*54", result.Output);
        Assert.Matches(@"surprise\s*│\s*249", result.Output);
    }

    [Fact]
    public void Inspect_lists_skipped_files()
    {
        using var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("train", "happy", "Training_1.jpg"), 1);
        Fixtures.WriteFace(dir.Combine("test", "happy", "PrivateTest_2.jpg"), 2);
        Fixtures.WriteFace(dir.Combine("test", "sad", "PublicTest_3.jpg"), 3);
        Directory.CreateDirectory(dir.Combine("train", "sad"));
        File.WriteAllBytes(dir.Combine("train", "sad", "Training_4.jpg"), []);
        var result = Run("data", "inspect", dir.Path);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("layout: Fer2013Folders, images: 3, classes: 2", result.Output);
        Assert.Contains("skipped: 1", result.Output);
        Assert.Contains("Training_4.jpg: file is empty", result.Output);
        Assert.Contains("PrivateTest", result.Output);
    }

    [Fact]
    public void Inspect_a_missing_folder_fails_with_its_name()
    {
        var result = Run("data", "inspect", "/no/such/folder");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/no/such/folder: does not exist", result.Output);
    }
}
