using Fersnet.Imaging;
using OpenCvSharp;

namespace Fersnet.Inference;

/// <summary>Draws faces' boxes and their dominant expression (with its probability) onto a copy of a photo.</summary>
public static class FaceAnnotator
{
    /// <summary>
    /// A copy of <paramref name="photo"/> (upright 8-bit BGR, as <see cref="ExpressionRecognizer"/> saw it) with each face's
    /// box and a label such as <c>happiness 87%</c> above it; line width and text size follow the photo's size.
    /// A gray or BGRA photo gives a BGR copy (drawn in opaque colour).
    /// </summary>
    /// <returns>A new image; the caller disposes it.</returns>
    public static Mat Draw(Mat photo, IReadOnlyList<FaceExpression> faces)
    {
        var canvas = photo.Channels() switch
        {
            1 => photo.CvtColor(ColorConversionCodes.GRAY2BGR),
            4 => photo.CvtColor(ColorConversionCodes.BGRA2BGR),
            _ => photo.Clone(),
        };
        int side = Math.Max(canvas.Cols, canvas.Rows);
        int thickness = Math.Max(1, side / 400);
        double fontScale = Math.Max(0.35, side / 1600.0);
        foreach (var face in faces)
        {
            var box = new Rect(face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height);
            Cv2.Rectangle(canvas, box, new Scalar(0, 220, 0), thickness);
            string label = $"{face.Dominant} {face.Probabilities[face.Dominant] * 100:F0}%";
            var size = Cv2.GetTextSize(label, HersheyFonts.HersheySimplex, fontScale, thickness, out int baseline);
            int top = box.Y - size.Height - baseline - 2 * thickness >= 0 ? box.Y - size.Height - baseline - 2 * thickness : box.Bottom;
            var background = new Rect(box.X, top, size.Width + 2 * thickness, size.Height + baseline + 2 * thickness);
            Cv2.Rectangle(canvas, background, new Scalar(0, 220, 0), -1);
            Cv2.PutText(canvas, label, new Point(box.X + thickness, top + size.Height + thickness), HersheyFonts.HersheySimplex, fontScale,
                Scalar.Black, thickness, LineTypes.AntiAlias);
        }
        return canvas;
    }
}
