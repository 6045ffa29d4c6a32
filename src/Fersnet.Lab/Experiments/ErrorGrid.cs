using Fersnet.Data;
using Fersnet.Imaging;
using OpenCvSharp;

namespace Fersnet.Lab.Experiments;

/// <summary>A test image that every repetition of an experiment misclassified.</summary>
/// <param name="Index">Its index in the dataset's scan (the experiment's test indices).</param>
/// <param name="Actual">Its true class.</param>
/// <param name="Predicted">What each repetition said, in the order of the results files.</param>
public sealed record PersistentError(int Index, int Actual, int[] Predicted)
{
    /// <summary>The class the repetitions said most often (the first of them on a tie).</summary>
    public int MostSaid => Predicted.GroupBy(p => p).OrderByDescending(g => g.Count()).ThenBy(g => Array.IndexOf(Predicted, g.Key)).First().Key;
}

/// <summary>
/// Pictures of the errors no reseeding fixes: each face at twice its size, with its file's name and "true &gt; said",
/// sorted by true class, then by the class said.
/// </summary>
public static class ErrorGrid
{
    private const int Scale = 2;
    private const int Columns = 10;
    private const int LabelHeight = 26;

    /// <summary>Writes the grid of <paramref name="errors"/> to <paramref name="path"/> (PNG).</summary>
    /// <param name="samples">the dataset's scan, which the indices point into</param>
    public static void Write(IReadOnlyList<FaceSample> samples, IReadOnlyList<PersistentError> errors, LabelSet labels, int faceSize, string path)
    {
        if (errors.Count == 0) throw new ArgumentException("no persistent errors to draw");
        var ordered = errors.OrderBy(e => e.Actual).ThenBy(e => e.MostSaid).ThenBy(e => e.Index).ToArray();
        int cell = faceSize * Scale, columns = Math.Min(Columns, ordered.Length), rows = (ordered.Length + Columns - 1) / Columns;
        using var canvas = new Mat(rows * (cell + LabelHeight), columns * cell, MatType.CV_8UC1, Scalar.All(255));
        for (int i = 0; i < ordered.Length; i++)
        {
            var error = ordered[i];
            if (error.Index < 0 || error.Index >= samples.Count)
                throw new ArgumentException($"test index {error.Index} is outside the dataset's {samples.Count} images: the results come from another dataset");
            var sample = samples[error.Index];
            int x = i % Columns * cell, y = i / Columns * (cell + LabelHeight);
            using (var gray = FaceDataLoader.Decode(sample))
            using (var face = FaceImage.ResizeSquare(gray, cell))
            using (var region = new Mat(canvas, new Rect(x, y, cell, cell)))
                face.CopyTo(region);
            Text(Path.GetFileNameWithoutExtension(sample.Source), x, y + cell + 10);
            Text($"{Short(labels.Names[error.Actual])}>{Short(labels.Names[error.MostSaid])}", x, y + cell + 22);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!Cv2.ImWrite(path, canvas)) throw new IOException($"{path}: the grid could not be written");

        void Text(string text, int x, int baseline) => Cv2.PutText(canvas, text.Length > 16 ? text[..16] : text, new Point(x + 2, baseline),
            HersheyFonts.HersheySimplex, 0.3, Scalar.All(0), 1, LineTypes.AntiAlias);
    }

    private static string Short(string name) => name.Length > 7 ? name[..7] : name;
}
