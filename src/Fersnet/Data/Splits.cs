namespace Fersnet.Data;

/// <summary>Indices of one train/test partition of a sample list.</summary>
public sealed record Fold(int Index, IReadOnlyList<int> Train, IReadOnlyList<int> Test);

/// <summary>Train / validation / test indices of a dataset with an official split (FER2013).</summary>
public sealed record OfficialSplit(IReadOnlyList<int> Train, IReadOnlyList<int> Validation, IReadOnlyList<int> Test);

/// <summary>
/// Evaluation splits. CK+ frames of one sequence are near-duplicates and a subject has several sequences, so
/// every split is grouped by subject: a subject's images are all in train or all in test.
/// </summary>
public static class Splits
{
    /// <summary>The grouping key of a sample: its subject, else (no subject known) the sample itself.</summary>
    public static string GroupOf(FaceSample sample) => sample.Subject ?? sample.Source;

    /// <summary>
    /// Subject-grouped, class-stratified k-fold. Deterministic for a seed; no group in two folds; every sample
    /// tested exactly once. Groups are placed largest first (seeded tie-break) into the fold whose per-class
    /// counts stay closest to an even share, the greedy scheme of scikit-learn's StratifiedGroupKFold.
    /// </summary>
    public static IReadOnlyList<Fold> SubjectKFold(IReadOnlyList<FaceSample> samples, int k, int seed)
    {
        var groups = samples.Select((s, i) => (Group: GroupOf(s), Index: i)).GroupBy(x => x.Group, StringComparer.Ordinal)
            .Select(g => g.Select(x => x.Index).ToArray()).ToList();
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), "k-fold needs k >= 2");
        if (groups.Count < k) throw new ArgumentException($"{groups.Count} subjects cannot fill {k} folds");

        var classes = samples.Select(s => s.Label).Distinct().Order().ToArray();
        int ClassIndex(Expression e) => Array.IndexOf(classes, e);
        var classTotals = new double[classes.Length];
        foreach (var s in samples) classTotals[ClassIndex(s.Label)]++;

        var random = new Random(seed);
        var ordered = groups.Select(g => (Members: g, Key: random.Next()))
            .OrderByDescending(g => g.Members.Length).ThenBy(g => g.Key).Select(g => g.Members).ToList();

        var foldClassCounts = new double[k, classes.Length];
        var foldSizes = new int[k];
        var assignment = new List<int>[k];
        for (int f = 0; f < k; f++) assignment[f] = [];
        foreach (var members in ordered)
        {
            var groupCounts = new double[classes.Length];
            foreach (int i in members) groupCounts[ClassIndex(samples[i].Label)]++;
            int best = -1;
            double bestCost = double.MaxValue;
            for (int f = 0; f < k; f++)
            {
                // Cost: spread over folds of each class's share, had the group gone into fold f.
                double cost = 0;
                for (int c = 0; c < classes.Length; c++)
                {
                    double mean = 0, square = 0;
                    for (int g = 0; g < k; g++)
                    {
                        double share = (foldClassCounts[g, c] + (g == f ? groupCounts[c] : 0)) / classTotals[c];
                        mean += share;
                        square += share * share;
                    }
                    mean /= k;
                    cost += square / k - mean * mean;
                }
                if (cost < bestCost - 1e-12 || (Math.Abs(cost - bestCost) <= 1e-12 && foldSizes[f] < foldSizes[best]))
                {
                    best = f;
                    bestCost = cost;
                }
            }
            assignment[best].AddRange(members);
            foldSizes[best] += members.Length;
            for (int c = 0; c < classes.Length; c++) foldClassCounts[best, c] += groupCounts[c];
        }

        return Enumerable.Range(0, k).Select(f =>
        {
            var test = assignment[f].Order().ToArray();
            var testSet = test.ToHashSet();
            var train = Enumerable.Range(0, samples.Count).Where(i => !testSet.Contains(i)).ToArray();
            return new Fold(f, train, test);
        }).ToArray();
    }

    /// <summary>
    /// Holds out about <paramref name="fraction"/> of <paramref name="indices"/> for validation, grouped by subject
    /// and stratified as well as whole subjects allow. Used to pick models from training subjects only.
    /// </summary>
    public static (IReadOnlyList<int> Train, IReadOnlyList<int> Validation) GroupHoldout(
        IReadOnlyList<FaceSample> samples, IReadOnlyList<int> indices, double fraction, int seed)
    {
        if (fraction <= 0 || fraction >= 1) throw new ArgumentOutOfRangeException(nameof(fraction), "must be between 0 and 1");
        var subset = indices.Select(i => samples[i]).ToArray();
        int groups = subset.Select(GroupOf).Distinct().Count();
        int k = Math.Clamp((int)Math.Round(1 / fraction), 2, Math.Max(2, groups));
        var fold = SubjectKFold(subset, k, seed)[0];
        return (fold.Train.Select(i => indices[i]).ToArray(), fold.Test.Select(i => indices[i]).ToArray());
    }

    /// <summary>
    /// The samples of the named splits (file-name or folder splits such as FER2013's Training, PublicTest, PrivateTest).
    /// Every name must match at least one sample, so that a typo never trains on less than asked.
    /// </summary>
    public static IReadOnlyList<int> Named(IReadOnlyList<FaceSample> samples, IReadOnlyList<string> splits)
    {
        var known = samples.Select(s => s.Split).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order().ToArray();
        foreach (var name in splits)
        {
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"no split named '{name}' in the dataset (its splits: {(known.Length == 0 ? "none" : string.Join(", ", known))})");
        }
        var wanted = splits.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return samples.Select((s, i) => (s, i)).Where(x => x.s.Split is { } split && wanted.Contains(split)).Select(x => x.i).ToArray();
    }

    /// <summary>
    /// FER2013's convention: train on Training, select models on PublicTest, report on PrivateTest.
    /// </summary>
    public static OfficialSplit Fer2013(IReadOnlyList<FaceSample> samples)
    {
        List<int> Where(string split) => samples.Select((s, i) => (s, i)).Where(x => string.Equals(x.s.Split, split, StringComparison.OrdinalIgnoreCase)).Select(x => x.i).ToList();
        var split = new OfficialSplit(Where("Training"), Where("PublicTest"), Where("PrivateTest"));
        if (split.Train.Count == 0 || split.Test.Count == 0)
            throw new ArgumentException("not a FER2013 dataset: no Training or no PrivateTest samples");
        return split;
    }
}
