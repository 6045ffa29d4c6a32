using OpenCvSharp;

namespace Fersnet.Imaging;

/// <summary>
/// Cuts a detected face out of a photo the way the training faces were cut: a square around the detector's box,
/// enlarged so the crop takes as much forehead, chin and cheek as a FER2013 / CK+48 face, then the training
/// pre-processing (grayscale, area-resized to the model's size, values in [-1, 1]; <see cref="FaceImage"/>).
/// </summary>
internal static class FaceCrop
{
    /// <summary>
    /// A BlazeFace box spans brows to chin; FER2013's crops show a little more (hairline, cheek edges). Chosen by
    /// putting 48x48 crops at 1.0, 1.2 and 1.4 beside FER2013 test faces: 1.1 looks most alike (eyes ~40% down).
    /// </summary>
    public const double DefaultScale = 1.1;

    /// <summary>The square of side max(width, height) x <paramref name="scale"/> centred on <paramref name="box"/>.</summary>
    public static Rect Square(Rect2f box, double scale)
    {
        double side = Math.Max(1, Math.Max(box.Width, box.Height) * scale);
        double cx = box.X + box.Width / 2.0, cy = box.Y + box.Height / 2.0;
        int s = (int)Math.Round(side);
        return new Rect((int)Math.Round(cx - side / 2), (int)Math.Round(cy - side / 2), s, s);
    }

    /// <summary>
    /// Writes the face in <paramref name="square"/> of the grayscale photo into <paramref name="destination"/>
    /// (size x size values in [-1, 1]); parts of the square outside the photo repeat its edge pixels.
    /// </summary>
    public static void Extract(Mat gray, Rect square, int size, Span<float> destination)
    {
        if (square == new Rect(0, 0, size, size) && gray.Cols == size && gray.Rows == size)
        {
            FaceImage.ToUnitRange(gray, destination);   // already a face crop of the model's size: nothing to cut or resize
            return;
        }
        var inside = square & new Rect(0, 0, gray.Cols, gray.Rows);
        if (inside.Width <= 0 || inside.Height <= 0) throw new ArgumentException($"the face box {square} lies outside the {gray.Cols}x{gray.Rows} image");
        using var roi = new Mat(gray, inside);
        using var padded = new Mat();
        Cv2.CopyMakeBorder(roi, padded, inside.Y - square.Y, square.Bottom - inside.Bottom, inside.X - square.X, square.Right - inside.Right,
            BorderTypes.Replicate);
        using var face = FaceImage.ResizeSquare(padded, size);
        FaceImage.ToUnitRange(face, destination);
    }
}
