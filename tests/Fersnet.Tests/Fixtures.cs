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

    /// <summary>A CK+-shaped dataset of drawn faces: 10 subjects, 3 classes, 2 frames each (60 files).</summary>
    /// <returns><paramref name="root"/></returns>
    public static string TinyCkPlus(string root)
    {
        string[] classes = ["anger", "happy", "surprise"];
        for (int subject = 1; subject <= 10; subject++)
            for (int c = 0; c < classes.Length; c++)
                for (int frame = 0; frame < 2; frame++)
                    WriteFace(Path.Combine(root, classes[c], $"S{subject:000}_{c + 1:000}_{frame:00000000}.png"), subject * 7 + c * 3 + frame);
        return root;
    }

    public static byte[] EncodeFace(string extension, int seed, int size = 48)
    {
        using var image = new Mat(size, size, MatType.CV_8UC1, new Scalar(seed * 7 % 255));
        Cv2.Circle(image, new Point(size / 2, size / 2), size / 3, new Scalar(255 - seed % 255), -1);
        return image.ImEncode(extension);
    }
}

/// <summary>
/// A made-up photo with drawn faces (skin-coloured ovals with eyes, brows, nose and mouth, blurred like a photo): a page
/// screenshot that may be committed, since no face of ../shared is in it.
/// </summary>
public static class DrawnPortrait
{
    /// <summary>Mouths: a smile, an open "o", a frown.</summary>
    public static Mat Draw(int width = 1200, int height = 700)
    {
        var image = new Mat(height, width, MatType.CV_8UC3, new Scalar(160, 190, 200));
        Cv2.Rectangle(image, new Rect(0, height * 2 / 3, width, height / 3), new Scalar(90, 110, 120), -1);
        var skins = new[] { new Scalar(150, 180, 225), new Scalar(105, 140, 190), new Scalar(80, 105, 150) };
        for (int i = 0; i < 3; i++)
        {
            var c = new Point(width * (2 * i + 1) / 6, height / 2);
            int w = width / 10, h = (int)(w * 1.3);
            Cv2.Rectangle(image, new Rect(c.X - w, c.Y + h - 10, 2 * w, height), new Scalar(60 + 60 * i, 80, 140 - 30 * i), -1);     // shoulders
            Cv2.Ellipse(image, new Point(c.X, c.Y - h / 3), new Size(w * 1.08, h * 0.9), 0, 180, 360, new Scalar(40, 50, 70), -1);   // hair
            Cv2.Ellipse(image, c, new Size(w, h), 0, 0, 360, skins[i], -1);                                                   // face
            Cv2.Ellipse(image, new Point(c.X - w, c.Y), new Size(w / 6, h / 4), 0, 0, 360, skins[i], -1);                     // ears
            Cv2.Ellipse(image, new Point(c.X + w, c.Y), new Size(w / 6, h / 4), 0, 0, 360, skins[i], -1);
            foreach (int side in new[] { -1, 1 })
            {
                var eye = new Point(c.X + side * w * 2 / 5, c.Y - h / 6);
                Cv2.Ellipse(image, eye, new Size(w / 5, w / 9), 0, 0, 360, new Scalar(245, 245, 245), -1);
                Cv2.Circle(image, eye, w / 11, new Scalar(60, 40, 30), -1);
                Cv2.Circle(image, eye, w / 24, new Scalar(10, 10, 10), -1);
                int tilt = i == 2 ? -side * w / 10 : 0;
                Cv2.Line(image, new Point(eye.X - w / 4, eye.Y - w / 4 + tilt), new Point(eye.X + w / 4, eye.Y - w / 4 - tilt), new Scalar(30, 35, 45), w / 14);
            }
            Cv2.Line(image, new Point(c.X, c.Y - h / 10), new Point(c.X - w / 10, c.Y + h / 6), Shade(skins[i]), w / 18);          // nose
            Cv2.Line(image, new Point(c.X - w / 10, c.Y + h / 6), new Point(c.X + w / 12, c.Y + h / 6), Shade(skins[i]), w / 18);
            var mouth = new Point(c.X, c.Y + h * 11 / 20);
            var lips = new Scalar(70, 70, 170);
            if (i == 0) Cv2.Ellipse(image, new Point(mouth.X, mouth.Y - h / 12), new Size(w / 2, h / 6), 0, 20, 160, lips, w / 12);
            else if (i == 1) Cv2.Ellipse(image, mouth, new Size(w / 6, h / 7), 0, 0, 360, new Scalar(40, 30, 90), -1);
            else Cv2.Ellipse(image, new Point(mouth.X, mouth.Y + h / 10), new Size(w / 3, h / 8), 0, 200, 340, lips, w / 14);
        }
        Cv2.GaussianBlur(image, image, new Size(7, 7), 0);
        return image;
    }

    private static Scalar Shade(Scalar s) => new(s.Val0 * 0.7, s.Val1 * 0.7, s.Val2 * 0.7);
}
