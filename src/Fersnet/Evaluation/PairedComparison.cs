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
    /// Pairs every variant of <paramref name="results"/> with every variant of <paramref name="baseline"/> on their
    /// common folds. Folds whose test images differ are not paired: they are not the same question.
    /// </summary>
    public static IReadOnlyList<PairedComparison> Between(IReadOnlyList<FoldResult> results, IReadOnlyList<FoldResult> baseline, string baselineSource)
    {
        var comparisons = new List<PairedComparison>();
        foreach (var variant in results.Select(r => r.Variant).Distinct())
            foreach (var baselineVariant in baseline.Select(r => r.Variant).Distinct())
            {
                var pairs = results.Where(r => r.Variant == variant)
                    .Join(baseline.Where(b => b.Variant == baselineVariant), r => r.Fold, b => b.Fold, (r, b) => (r, b))
                    .Where(p => p.r.TestIndices.SequenceEqual(p.b.TestIndices))
                    .OrderBy(p => p.r.Fold)
                    .ToArray();
                if (pairs.Length == 0) continue;
                var differences = pairs.Select(p => p.r.TestAccuracy - p.b.TestAccuracy).ToArray();
                comparisons.Add(new PairedComparison(variant, baselineVariant, baselineSource, pairs.Select(p => p.r.Fold).ToArray(),
                    pairs.Average(p => p.r.TestAccuracy), pairs.Average(p => p.b.TestAccuracy), differences,
                    differences.Average(), Stat.SampleStandardDeviation(differences),
                    differences.Count(d => d > 1e-12), differences.Count(d => Math.Abs(d) <= 1e-12), differences.Count(d => d < -1e-12)));
            }
        return comparisons;
    }
}
