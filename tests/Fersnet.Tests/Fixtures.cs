using OpenCvSharp;

namespace Fersnet.Tests;

/// <summary>Tiny generated datasets: images drawn with OpenCV, named as each layout expects.</summary>
public static class Fixtures
{
    /// <summary>Writes a size x size grayscale image with a pattern that depends on <paramref name="seed"/>.</summary>
    public static void WriteFace(string path, int seed, int size = 48)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var image = new Mat(size, size, MatType.CV_8UC1, new Scalar(40 + seed * 13 % 160));
        Cv2.Circle(image, new Point(size / 2, size / 2), size / 4 + seed % 5, new Scalar(200), -1);
        Cv2.Rectangle(image, new Rect(seed % (size / 2), size / 8, size / 6, size / 6), new Scalar(seed * 37 % 255), -1);
        Assert.True(Cv2.ImWrite(path, image), $"could not write {path}");
    }

    public static byte[] EncodeFace(string extension, int seed, int size = 48)
    {
        using var image = new Mat(size, size, MatType.CV_8UC1, new Scalar(seed * 7 % 255));
        Cv2.Circle(image, new Point(size / 2, size / 2), size / 3, new Scalar(255 - seed % 255), -1);
        return image.ImEncode(extension);
    }
}
