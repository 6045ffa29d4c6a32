using Fersnet.Data;
using Fersnet.Imaging;

namespace Fersnet.Tests;

public class BadInputTests
{
    [Fact]
    public void Bad_files_are_skipped_with_their_reason_and_the_rest_load()
    {
        using var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("happy", "good1.png"), 1);
        Fixtures.WriteFace(dir.Combine("happy", "good2.jpg"), 2);
        Fixtures.WriteFace(dir.Combine("sad", "good3.png"), 3);
        File.WriteAllBytes(dir.Combine("sad", "empty.png"), []);
        var png = Fixtures.EncodeFace(".png", 4);
        File.WriteAllBytes(dir.Combine("sad", "truncated.png"), png[..(png.Length / 2)]);
        var jpg = Fixtures.EncodeFace(".jpg", 5);
        File.WriteAllBytes(dir.Combine("sad", "truncated.jpg"), jpg[..(jpg.Length * 2 / 3)]);
        File.WriteAllText(dir.Combine("sad", "notes.png"), "this is not an image");
        File.WriteAllText(dir.Combine("sad", "readme.txt"), "hello");

        var scan = DatasetReader.Read(dir.Path);
        using var set = FaceDataLoader.Load(scan, 32);

        Assert.Equal(3, set.Count);
        Assert.Equal([3, 1, 32, 32], set.Images.shape);
        string Reason(string name) => set.Skipped.Single(s => Path.GetFileName(s.Path) == name).Reason;
        Assert.Contains("empty", Reason("empty.png"));
        Assert.Contains("truncated", Reason("truncated.png"));
        Assert.Contains("truncated", Reason("truncated.jpg"));
        Assert.Contains("not a readable image", Reason("notes.png"));
        Assert.Contains("not an image file", Reason("readme.txt"));
        Assert.Equal(5, set.Skipped.Count);
    }

    [Fact]
    public void Missing_or_empty_folders_are_clear_errors()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<DatasetException>(() => DatasetReader.Read(dir.Combine("nope")));
        Assert.Contains("does not exist", missing.Message);
        Assert.Contains(dir.Combine("nope"), missing.Message);

        Directory.CreateDirectory(dir.Combine("empty"));
        Assert.Contains("is empty", Assert.Throws<DatasetException>(() => DatasetReader.Read(dir.Combine("empty"))).Message);

        Directory.CreateDirectory(dir.Combine("noclasses", "misc"));
        File.WriteAllText(dir.Combine("noclasses", "misc", "x.png"), "x");
        Assert.Contains("expression-named folders", Assert.Throws<DatasetException>(() => DatasetReader.Read(dir.Combine("noclasses"))).Message);
    }

    [Fact]
    public void Decode_names_the_file_in_its_error()
    {
        var e = Assert.Throws<ImageException>(() => FaceImage.DecodeGray([1, 2, 3], "/data/x.png"));
        Assert.StartsWith("/data/x.png: ", e.Message);
    }

    [Fact]
    public void Unit_range_round_trips()
    {
        using var gray = OpenCvSharp.Cv2.ImDecode(Fixtures.EncodeFace(".png", 9, 16), OpenCvSharp.ImreadModes.Grayscale);
        var values = new float[16 * 16];
        FaceImage.ToUnitRange(gray, values);
        Assert.All(values, v => Assert.InRange(v, -1f, 1f));
        using var back = FaceImage.FromUnitRange(values, 16);
        Assert.Equal(0, OpenCvSharp.Cv2.Norm(gray, back, OpenCvSharp.NormTypes.INF));
    }
}
