using OpenCvSharp;

namespace Fersnet.Imaging;

/// <summary>
/// Pictures of faces laid out in cells for people to look at: each face enlarged to its cell (nearest neighbour, so
/// the pixels stay visible), short captions in black on white, written as PNG.
/// </summary>
public static class FaceGrid
{
    /// <summary>Cells are this many times a face's side: 48 px faces are too small to judge at their own size.</summary>
    public const int Scale = 2;

    /// <summary>A white 8-bit gray canvas.</summary>
    public static Mat Canvas(int width, int height) => new(height, width, MatType.CV_8UC1, Scalar.All(255));

    /// <summary>Draws <paramref name="face"/> (8-bit gray) into the cell of side <paramref name="cell"/> whose top left is (x, y).</summary>
    public static void Place(Mat canvas, Mat face, int x, int y, int cell)
    {
        using var large = new Mat();
        Cv2.Resize(face, large, new Size(cell, cell), interpolation: InterpolationFlags.Nearest);
        using var region = new Mat(canvas, new Rect(x, y, cell, cell));
        large.CopyTo(region);
    }

    /// <summary>A caption from (x, baseline), cut to <paramref name="maxCharacters"/>.</summary>
    public static void Caption(Mat canvas, string text, int x, int baseline, int maxCharacters, double fontScale = 0.35) =>
        Cv2.PutText(canvas, text.Length > maxCharacters ? text[..maxCharacters] : text, new Point(x, baseline),
            HersheyFonts.HersheySimplex, fontScale, Scalar.All(0), 1, LineTypes.AntiAlias);

    /// <summary>Writes the canvas as PNG, creating the folder.</summary>
    public static void Save(Mat canvas, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!Cv2.ImWrite(path, canvas)) throw new IOException($"{path}: the grid could not be written");
    }
}
