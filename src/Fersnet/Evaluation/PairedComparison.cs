using System.Globalization;
using System.Text;

namespace Fersnet.Evaluation;

/// <summary>
/// One variant against a baseline variant on the test folds both were tested on (the same test images, checked
/// image by image). Folds of ~12 subjects differ by several points from one another, far more than the variants
/// do; the per-fold differences remove that shared part.
/// </summary>
/// <param name="Differences">Accuracy of the variant minus the baseline's, fold by fold (0..1).</param>
public sealed record PairedComparison(
    string Variant,
    string Baseline,
    string BaselineSource,
    int[] Folds,
    double MeanAccuracy,
    double BaselineMeanAccuracy,
    double[] Differences,
    double MeanDifference,
    double StdDifference,
    int Wins,
    int Ties,
    int Losses)
{
    /// <summary>
    /// Half-width of the 95% confidence interval of <see cref="MeanDifference"/> (Student's t over the folds):
    /// an interval that contains 0 means these folds cannot tell the two apart.
    /// </summary>
    public double Confidence95 => Folds.Length < 2 ? double.NaN : StudentT975(Folds.Length - 1) * StdDifference / Math.Sqrt(Folds.Length);

    /// <summary>The 95% interval of the mean difference in points, as the reports print it ("-0.87 to +3.52").</summary>
    public string Interval95Text => $"{SignedPoints(MeanDifference - Confidence95)} to {SignedPoints(MeanDifference + Confidence95)}";

    /// <summary>The mean difference in points with its sign ("+1.33", "-0.61", "+0.00").</summary>
    public string MeanDifferenceText => SignedPoints(MeanDifference);

    /// <summary>
    /// A difference of accuracies (0..1) in points with its sign. Rounded first, and a negative zero made positive
    /// (adding 0.0): a difference that is zero up to floating-point error (-1e-17) would otherwise print as "-+0.00"
    /// (.NET falls back to the positive section and keeps the minus sign).
    /// </summary>
    public static string SignedPoints(double fraction) =>
        (Math.Round(fraction * 100, 2) + 0.0).ToString("+0.00;-0.00", CultureInfo.InvariantCulture);

    /// <summary>The 97.5% quantile of Student's t with <paramref name="degrees"/> degrees of freedom (two-sided 95%).</summary>
    public static double StudentT975(int degrees) => degrees switch
    {
        < 1 => double.NaN,
        <= 30 => T975[degrees - 1],
        _ => 1.96,
    };

    private static readonly double[] T975 =
    [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];

    /// <summary>
    /// Pairs every variant of <paramref name="results"/> with every variant of <paramref name="baseline"/> on their
    /// common folds. Folds whose test images differ are not paired: they are not the same question.
    /// </summary>
    public static IReadOnlyList<PairedComparison> Between(IReadOnlyList<FoldResult> results, IReadOnlyList<FoldResult> baseline, string baselineSource) =>
        results.Select(r => r.Variant).Distinct()
            .SelectMany(variant => baseline.Select(b => b.Variant).Distinct().Select(baselineVariant =>
                Pair(results, variant, baseline, baselineVariant, baselineSource)))
            .OfType<PairedComparison>()
            .ToArray();

    /// <summary>Name of the baseline source when the variants of one experiment are paired with each other.</summary>
    public const string SameExperiment = "this experiment";

    /// <summary>
    /// Pairs the variants of one experiment with each other: each variant against every variant before it in
    /// <paramref name="order"/> (the ablation's order, single → hard → fersnet, so a positive difference is the
    /// ordering the paper claims).
    /// </summary>
    public static IReadOnlyList<PairedComparison> Within(IReadOnlyList<FoldResult> results, IReadOnlyList<string> order) =>
        order.SelectMany((variant, i) => order.Take(i).Select(baselineVariant => Pair(results, variant, results, baselineVariant, SameExperiment)))
            .OfType<PairedComparison>()
            .ToArray();

    /// <summary>
    /// Each variant's mirror-averaged predictions against its plain ones, on the folds where both were measured:
    /// the same trained models, so the difference is the test-time augmentation alone.
    /// </summary>
    public static IReadOnlyList<PairedComparison> Mirrored(IReadOnlyList<FoldResult> results, IReadOnlyList<string> order)
    {
        var mirrored = results.Select(r => r.AsMirrored()).OfType<FoldResult>().ToArray();
        return order.Select(variant => Pair(mirrored, variant + FoldResult.MirroredSuffix, results, variant, SameExperiment))
            .OfType<PairedComparison>()
            .ToArray();
    }

    /// <summary>
    /// Each fine-tuned variant against its own first-stage weights, fold by fold: the same trained models before and
    /// after, so the difference is the fine-tuning alone, free of the noise between two trainings.
    /// </summary>
    public static IReadOnlyList<PairedComparison> FineTuned(IReadOnlyList<FoldResult> results, IReadOnlyList<string> order)
    {
        var before = results.Select(r => r.AsFirstStage()).OfType<FoldResult>().ToArray();
        return order.Select(variant => Pair(results, variant, before, variant + FoldResult.FirstStageSuffix, SameExperiment))
            .OfType<PairedComparison>()
            .ToArray();
    }

    /// <summary>The comparisons as a Markdown table (the lab notebook's); <paramref name="withSource"/> names where each baseline comes from.</summary>
    public static string MarkdownTable(IEnumerable<PairedComparison> comparisons, bool withSource)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        table.AppendLine("| variant | baseline | folds | mean accuracy | baseline mean | difference mean ± std | 95% interval of the mean difference | wins / ties / losses |");
        table.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var c in comparisons)
            table.AppendLine(string.Create(inv, $"| {c.Variant} | {c.Baseline}{(withSource ? $" ({c.BaselineSource})" : "")} | {c.Folds.Length} | {c.MeanAccuracy * 100:F2} | {c.BaselineMeanAccuracy * 100:F2} | {c.MeanDifferenceText} ± {c.StdDifference * 100:F2} | {c.Interval95Text} | {c.Wins} / {c.Ties} / {c.Losses} |"));
        return table.ToString();
    }

    private static PairedComparison? Pair(IReadOnlyList<FoldResult> results, string variant, IReadOnlyList<FoldResult> baseline, string baselineVariant, string baselineSource)
    {
        var pairs = results.Where(r => r.Variant == variant)
            .Join(baseline.Where(b => b.Variant == baselineVariant), r => r.Fold, b => b.Fold, (r, b) => (r, b))
            .Where(p => p.r.TestIndices.SequenceEqual(p.b.TestIndices))
            .OrderBy(p => p.r.Fold)
            .ToArray();
        if (pairs.Length == 0) return null;
        var differences = pairs.Select(p => p.r.TestAccuracy - p.b.TestAccuracy).ToArray();
        return new PairedComparison(variant, baselineVariant, baselineSource, pairs.Select(p => p.r.Fold).ToArray(),
            pairs.Average(p => p.r.TestAccuracy), pairs.Average(p => p.b.TestAccuracy), differences,
            differences.Average(), Stat.SampleStandardDeviation(differences),
            differences.Count(d => d > 1e-12), differences.Count(d => Math.Abs(d) <= 1e-12), differences.Count(d => d < -1e-12));
    }
}
