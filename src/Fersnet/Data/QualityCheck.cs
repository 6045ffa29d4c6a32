namespace Fersnet.Data;

/// <summary>Median sharpness of one split of a dataset.</summary>
public sealed record SplitSharpness(string Split, int Count, double Median);

/// <summary>
/// Checks that the parts of a dataset a model learns from and is judged on look alike. Measured here: every image of
/// the shared FER2013 snapshot's Training split is heavily blurred (median Laplacian variance 6 at 48x48) while its
/// PublicTest and PrivateTest images are sharp (about 2,100). A model trained on the one then fails on the others,
/// which is what a FER2013 run here showed before the cause was known.
/// </summary>
public static class QualityCheck
{
    /// <summary>Splits whose median sharpness differs by more than this factor are reported.</summary>
    public const double MismatchFactor = 10;

    public static IReadOnlyList<SplitSharpness> SharpnessBySplit(FaceTensorSet set) =>
        set.Sharpness is null ? [] : set.Samples.Select((s, i) => (Split: s.Split ?? "", Value: set.Sharpness[i]))
            .GroupBy(x => x.Split)
            .Select(g => new SplitSharpness(g.Key, g.Count(), Median(g.Select(x => x.Value))))
            .OrderBy(s => s.Split, StringComparer.Ordinal).ToArray();

    /// <summary>A warning naming the blurriest and sharpest split when they differ by more than <see cref="MismatchFactor"/>, else null.</summary>
    public static string? SharpnessMismatch(IReadOnlyList<SplitSharpness> splits)
    {
        if (splits.Count < 2) return null;
        var blurriest = splits.MinBy(s => s.Median)!;
        var sharpest = splits.MaxBy(s => s.Median)!;
        return sharpest.Median > MismatchFactor * Math.Max(blurriest.Median, 1e-9)
            ? $"split '{Name(blurriest)}' is much blurrier (median sharpness {blurriest.Median:F0}) than '{Name(sharpest)}' ({sharpest.Median:F0}): a model trained on one will not transfer to the other"
            : null;
    }

    /// <summary>The same check between a training and a validation set.</summary>
    public static string? SharpnessMismatch(FaceTensorSet train, FaceTensorSet validation) =>
        train.Sharpness is null || validation.Sharpness is null ? null
            : SharpnessMismatch([new SplitSharpness("training data", train.Count, Median(train.Sharpness)), new SplitSharpness("validation data", validation.Count, Median(validation.Sharpness))]);

    private static string Name(SplitSharpness s) => s.Split.Length == 0 ? "(no split)" : s.Split;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
