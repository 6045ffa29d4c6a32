using Fersnet.Data;
using Fersnet.Imaging;

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
/// Pictures of the errors no reseeding fixes: each face enlarged, with its file's name and "true &gt; said", sorted by
/// true class, then by the class said.
/// </summary>
public static class ErrorGrid
{
    private const int Columns = 10;
    private const int CaptionHeight = 26;
    private const int CaptionCharacters = 16;

    /// <summary>Writes the grid of <paramref name="errors"/> to <paramref name="path"/> (PNG).</summary>
    /// <param name="samples">the sample list the experiment's test indices point into (its dataset's scan)</param>
    /// <param name="labels">the experiment's classes, which the results' class indices refer to</param>
    public static void Write(IReadOnlyList<FaceSample> samples, IReadOnlyList<PersistentError> errors, LabelSet labels, string path)
    {
        if (errors.Count == 0) throw new ArgumentException("no persistent errors to draw");
        var ordered = errors.OrderBy(e => e.Actual).ThenBy(e => e.MostSaid).ThenBy(e => e.Index).ToArray();
        foreach (var error in ordered)
        {
            if (error.Index < 0 || error.Index >= samples.Count || !Equals(labels.Classes.ElementAtOrDefault(error.Actual), samples[error.Index].Label))
                throw new ArgumentException($"test image {error.Index} is not the {labels.Names[error.Actual]} face the results name: they come from another sample list (another dataset, or an experiment with --subjects)");
        }
        using var first = FaceDataLoader.Decode(samples[ordered[0].Index]);
        int cell = first.Rows * FaceGrid.Scale, columns = Math.Min(Columns, ordered.Length), rows = (ordered.Length + Columns - 1) / Columns;
        using var canvas = FaceGrid.Canvas(columns * cell, rows * (cell + CaptionHeight));
        for (int i = 0; i < ordered.Length; i++)
        {
            var error = ordered[i];
            var sample = samples[error.Index];
            int x = i % Columns * cell, y = i / Columns * (cell + CaptionHeight);
            using (var face = FaceDataLoader.Decode(sample)) FaceGrid.Place(canvas, face, x, y, cell);
            FaceGrid.Caption(canvas, Path.GetFileName(sample.Source), x + 2, y + cell + 10, CaptionCharacters, fontScale: 0.3);
            FaceGrid.Caption(canvas, $"{Short(labels.Names[error.Actual])}>{Short(labels.Names[error.MostSaid])}", x + 2, y + cell + 22, CaptionCharacters, fontScale: 0.3);
        }
        FaceGrid.Save(canvas, path);
    }

    private static string Short(string name) => name.Length > 7 ? name[..7] : name;
}
