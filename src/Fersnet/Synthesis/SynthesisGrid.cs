using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Models;
using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Synthesis;

/// <summary>
/// A picture of what the synthesis branch draws: one row per face (the first face of each expression in the set),
/// the real face in the first column, then the face re-drawn with every expression, one column each.
/// </summary>
public static class SynthesisGrid
{
    private const int HeaderHeight = 20;
    private const int HeaderCharacters = 9;

    public static void Write(MultiTaskModel model, FaceTensorSet set, string path)
    {
        var labels = set.LabelSet;
        var sourceLabels = set.Labels.data<long>().ToArray();
        int[] rows = Enumerable.Range(0, labels.Count)
            .Select(c => Array.FindIndex(sourceLabels, l => l == c))
            .Where(i => i >= 0).ToArray();
        if (rows.Length == 0) throw new ArgumentException("the set is empty");
        int size = set.ImageSize, cell = size * FaceGrid.Scale, columns = labels.Count + 1;

        using var scope = NewDisposeScope();
        using var rowIndex = tensor(rows.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var faces = set.Images.index_select(0, rowIndex);                                                      // (R,1,H,W)
        var sources = faces.repeat_interleave(labels.Count, 0);                                                // (R·C,1,H,W)
        var targets = arange(labels.Count, dtype: ScalarType.Int64).repeat(rows.Length);                       // (R·C)
        var drawn = SyntheticFaces.Redraw(model, sources, targets);                                     // (R·C,1,H,W)

        using var canvas = FaceGrid.Canvas(columns * cell, HeaderHeight + rows.Length * cell);
        string[] headers = ["real", .. labels.Names];
        for (int column = 0; column < columns; column++)
            FaceGrid.Caption(canvas, headers[column], column * cell + 3, HeaderHeight - 6, HeaderCharacters);
        for (int row = 0; row < rows.Length; row++)
        {
            Place(canvas, faces[row], row, 0);
            for (int target = 0; target < labels.Count; target++) Place(canvas, drawn[row * labels.Count + target], row, target + 1);
        }
        FaceGrid.Save(canvas, path);

        void Place(Mat target, Tensor image, int row, int column)
        {
            using var face = FaceImage.FromUnitRange(image.contiguous().data<float>().ToArray(), size);
            FaceGrid.Place(target, face, column * cell, HeaderHeight + row * cell, cell);
        }
    }

    /// <summary>One face's grid: the input, then the face drawn with each target, with a header naming each column.</summary>
    /// <param name="input">8-bit gray, square</param>
    /// <param name="drawn">8-bit gray, the input's size, one per header</param>
    public static Mat Row(Mat input, IReadOnlyList<Mat> drawn, IReadOnlyList<string> headers)
    {
        if (drawn.Count != headers.Count) throw new ArgumentException($"{drawn.Count} images but {headers.Count} headers");
        int cell = input.Rows * FaceGrid.Scale;
        var canvas = FaceGrid.Canvas((drawn.Count + 1) * cell, HeaderHeight + cell);
        string[] names = ["input", .. headers];
        for (int column = 0; column < names.Length; column++)
        {
            FaceGrid.Caption(canvas, names[column], column * cell + 3, HeaderHeight - 6, HeaderCharacters);
            FaceGrid.Place(canvas, column == 0 ? input : drawn[column - 1], column * cell, HeaderHeight, cell);
        }
        return canvas;
    }
}
