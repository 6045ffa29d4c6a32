using System.Globalization;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;

namespace Fersnet.Lab.Experiments;

/// <summary>
/// One variant against a baseline variant on the test folds both were tested on (the same test images, checked
/// image by image). Folds of ~12 subjects differ by several points from one another, far more than the variants
/// do; the per-fold differences remove that shared part.
/// </summary>
/// <param name="Differences">Accuracy of the variant minus the baseline's, fold by fold (0..1).</param>
/// <param name="VariantMeasurement">Which figure of the variant's results is compared (its plain predictions unless
/// said otherwise); likewise <paramref name="BaselineMeasurement"/>.</param>
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
    int Losses,
    Measurement VariantMeasurement = Measurement.Plain,
    Measurement BaselineMeasurement = Measurement.Plain)
{
    /// <summary>The variant as tables name it: "fersnet", "fersnet (mirror-averaged)", "fersnet+synth before fine-tuning".</summary>
    public string VariantLabel => Label(Variant, VariantMeasurement);

    /// <summary>The baseline as tables name it.</summary>
    public string BaselineLabel => Label(Baseline, BaselineMeasurement);

    /// <summary>How a measured variant is named in the notebook and the console.</summary>
    public static string Label(string variant, Measurement measurement) => measurement switch
    {
        Measurement.Plain => variant,
        Measurement.Mirrored => variant + " (mirror-averaged)",
        Measurement.FirstStage => variant + " before fine-tuning",
        _ => throw new ArgumentOutOfRangeException(nameof(measurement)),
    };

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
    public static IReadOnlyList<PairedComparison> Mirrored(IReadOnlyList<FoldResult> results, IReadOnlyList<string> order) =>
        order.Select(variant => Pair(results, variant, results, variant, SameExperiment, Measurement.Mirrored, Measurement.Plain))
            .OfType<PairedComparison>()
            .ToArray();

    /// <summary>
    /// Each fine-tuned variant against its own first-stage weights, fold by fold: the same trained models before and
    /// after, so the difference is the fine-tuning alone, free of the noise between two trainings.
    /// </summary>
    public static IReadOnlyList<PairedComparison> FineTuned(IReadOnlyList<FoldResult> results, IReadOnlyList<string> order) =>
        order.Select(variant => Pair(results, variant, results, variant, SameExperiment, Measurement.Plain, Measurement.FirstStage))
            .OfType<PairedComparison>()
            .ToArray();

    /// <summary>The comparisons as a Markdown table (the lab notebook's); <paramref name="withSource"/> names where each baseline comes from.</summary>
    public static string MarkdownTable(IEnumerable<PairedComparison> comparisons, bool withSource) =>
        Markdown.Table(
            ["variant", "baseline", "folds", "mean accuracy", "baseline mean", "difference mean ± std", "95% interval of the mean difference", "wins / ties / losses"],
            comparisons.Select(c => (IReadOnlyList<string>)
            [
                c.VariantLabel, c.BaselineLabel + (withSource ? $" ({c.BaselineSource})" : ""), c.Folds.Length.ToString(CultureInfo.InvariantCulture),
                Markdown.Percent(c.MeanAccuracy), Markdown.Percent(c.BaselineMeanAccuracy),
                $"{c.MeanDifferenceText} ± {Markdown.Percent(c.StdDifference)}", c.Interval95Text, $"{c.Wins} / {c.Ties} / {c.Losses}",
            ]));

    /// <summary>
    /// The variant's <paramref name="measurement"/> against the baseline's <paramref name="baselineMeasurement"/> on the
    /// folds where both were measured on the same test images; null where there is no such fold.
    /// </summary>
    private static PairedComparison? Pair(IReadOnlyList<FoldResult> results, string variant, IReadOnlyList<FoldResult> baseline, string baselineVariant,
        string baselineSource, Measurement measurement = Measurement.Plain, Measurement baselineMeasurement = Measurement.Plain)
    {
        var pairs = results.Where(r => r.Variant == variant && r.AccuracyOf(measurement) is not null)
            .Join(baseline.Where(b => b.Variant == baselineVariant && b.AccuracyOf(baselineMeasurement) is not null), r => r.Fold, b => b.Fold,
                (r, b) => (Fold: r.Fold, Tested: r.TestIndices.SequenceEqual(b.TestIndices), Accuracy: r.AccuracyOf(measurement)!.Value, Baseline: b.AccuracyOf(baselineMeasurement)!.Value))
            .Where(p => p.Tested)
            .OrderBy(p => p.Fold)
            .ToArray();
        if (pairs.Length == 0) return null;
        var differences = pairs.Select(p => p.Accuracy - p.Baseline).ToArray();
        return new PairedComparison(variant, baselineVariant, baselineSource, pairs.Select(p => p.Fold).ToArray(),
            pairs.Average(p => p.Accuracy), pairs.Average(p => p.Baseline), differences,
            differences.Average(), Stat.SampleStandardDeviation(differences),
            differences.Count(d => d > 1e-12), differences.Count(d => Math.Abs(d) <= 1e-12), differences.Count(d => d < -1e-12),
            measurement, baselineMeasurement);
    }
}
