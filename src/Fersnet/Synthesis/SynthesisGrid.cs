using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Models;
using OpenCvSharp;
using TorchSharp;
using Scalar = OpenCvSharp.Scalar;
using Size = OpenCvSharp.Size;
using static TorchSharp.torch;

namespace Fersnet.Synthesis;

/// <summary>
/// A picture of what the synthesis branch draws: one row per face (the first face of each expression in the set),
/// the real face in the first column, then the face re-drawn with every expression, one column each.
/// </summary>
public static class SynthesisGrid
{
    private const int Scale = 2;       // 48 px faces are too small to judge at their own size
    private const int HeaderHeight = 20;

    public static void Write(MultiTaskModel model, FaceTensorSet set, string path)
    {
        var labels = set.LabelSet;
        var sourceLabels = set.Labels.data<long>().ToArray();
        int[] rows = Enumerable.Range(0, labels.Count)
            .Select(c => Array.FindIndex(sourceLabels, l => l == c))
            .Where(i => i >= 0).ToArray();
        if (rows.Length == 0) throw new ArgumentException("the set is empty");
        int size = set.ImageSize, cell = size * Scale, columns = labels.Count + 1;

        using var scope = NewDisposeScope();
        using var rowIndex = tensor(rows.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var faces = set.Images.index_select(0, rowIndex);                                                      // (R,1,H,W)
        var sources = faces.repeat_interleave(labels.Count, 0);                                                // (R·C,1,H,W)
        var targets = arange(labels.Count, dtype: ScalarType.Int64).repeat(rows.Length);                       // (R·C)
        var drawn = ExpressionSynthesizer.Redraw(model, sources, targets);                                     // (R·C,1,H,W)

        using var canvas = new Mat(HeaderHeight + rows.Length * cell, columns * cell, MatType.CV_8UC1, Scalar.All(255));
        string[] headers = ["real", .. labels.Names];
        for (int column = 0; column < columns; column++)
            Cv2.PutText(canvas, headers[column].Length > 9 ? headers[column][..9] : headers[column], new Point(column * cell + 3, HeaderHeight - 6),
                HersheyFonts.HersheySimplex, 0.35, Scalar.All(0), 1, LineTypes.AntiAlias);
        for (int row = 0; row < rows.Length; row++)
        {
            Place(canvas, faces[row], row, 0);
            for (int target = 0; target < labels.Count; target++) Place(canvas, drawn[row * labels.Count + target], row, target + 1);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!Cv2.ImWrite(path, canvas)) throw new IOException($"{path}: the grid could not be written");

        void Place(Mat target, Tensor image, int row, int column)
        {
            using var face = FaceImage.FromUnitRange(image.contiguous().data<float>().ToArray(), size);
            PlaceImage(target, face, row, column, cell);
        }
    }

    /// <summary>One face's grid: the input, then the face drawn with each target, with a header naming each column.</summary>
    /// <param name="input">8-bit gray, square</param>
    /// <param name="drawn">8-bit gray, the input's size, one per header</param>
    public static Mat Row(Mat input, IReadOnlyList<Mat> drawn, IReadOnlyList<string> headers)
    {
        if (drawn.Count != headers.Count) throw new ArgumentException($"{drawn.Count} images but {headers.Count} headers");
        int cell = input.Rows * Scale;
        var canvas = new Mat(HeaderHeight + cell, (drawn.Count + 1) * cell, MatType.CV_8UC1, Scalar.All(255));
        string[] names = ["input", .. headers];
        for (int column = 0; column < names.Length; column++)
        {
            Cv2.PutText(canvas, names[column].Length > 9 ? names[column][..9] : names[column], new Point(column * cell + 3, HeaderHeight - 6),
                HersheyFonts.HersheySimplex, 0.35, Scalar.All(0), 1, LineTypes.AntiAlias);
            PlaceImage(canvas, column == 0 ? input : drawn[column - 1], 0, column, cell);
        }
        return canvas;
    }

    private static void PlaceImage(Mat canvas, Mat face, int row, int column, int cell)
    {
        using var large = new Mat();
        Cv2.Resize(face, large, new Size(cell, cell), interpolation: InterpolationFlags.Nearest);
        using var region = new Mat(canvas, new Rect(column * cell, HeaderHeight + row * cell, cell, cell));
        large.CopyTo(region);
    }
}
