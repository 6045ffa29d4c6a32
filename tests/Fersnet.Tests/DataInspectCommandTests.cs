
namespace Fersnet.Tests;

public class DataInspectCommandTests
{
    [Fact]
    public void Inspect_ckplus48_reports_images_classes_subjects()
    {
        var result = CliRunner.Run("data", "inspect", TestPaths.CkPlus);
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
        var result = CliRunner.Run("data", "inspect", dir.Path);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("layout: Fer2013Folders, images: 3, classes: 2", result.Output);
        Assert.Contains("skipped: 1", result.Output);
        Assert.Contains("Training_4.jpg: file is empty", result.Output);
        Assert.Contains("PrivateTest", result.Output);
    }

    [Fact]
    public void Inspect_warns_when_a_split_is_much_blurrier_than_another()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 6; i++)
        {
            string sharp = dir.Combine("test", i % 2 == 0 ? "happy" : "sad", $"PrivateTest_{i}.png");
            Fixtures.WriteFace(sharp, i);
            string blurred = dir.Combine("train", i % 2 == 0 ? "happy" : "sad", $"Training_{i}.png");
            Fixtures.WriteFace(blurred, i);
            using var image = OpenCvSharp.Cv2.ImRead(blurred, OpenCvSharp.ImreadModes.Grayscale);
            OpenCvSharp.Cv2.GaussianBlur(image, image, new OpenCvSharp.Size(15, 15), 5);
            OpenCvSharp.Cv2.ImWrite(blurred, image);
        }
        var result = CliRunner.Run("data", "inspect", dir.Path);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning:", result.Output);
        Assert.Contains("split 'Training' is much blurrier", result.Output);
    }

    [Fact]
    public void Inspect_real_fer2013_reports_its_splits_and_no_blurred_split()
    {
        var result = CliRunner.Run("data", "inspect", TestPaths.Fer2013);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("layout: Fer2013Folders, images: 35887, classes: 7", result.Output);
        Assert.Matches(@"total\s*│\s*28709\s*│\s*3589\s*│\s*3589", result.Output);
        // The shared snapshot's Training split was replaced by sharp images on 2026-11-30 (../shared/data/PROVENANCE.md).
        Assert.DoesNotContain("much blurrier", result.Output);
    }

    [Fact]
    public void Inspect_a_missing_folder_fails_with_its_name()
    {
        var result = CliRunner.Run("data", "inspect", "/no/such/folder");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/no/such/folder: does not exist", result.Output);
    }
}
