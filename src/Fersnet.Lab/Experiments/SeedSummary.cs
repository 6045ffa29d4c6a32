using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;
using Fersnet.Serialization;

namespace Fersnet.Lab.Experiments;

/// <summary>One variant over several repetitions (training seeds) of an experiment on the same folds.</summary>
/// <param name="SeedMeans">Each repetition's mean accuracy over <paramref name="Folds"/>, in the order of the files.</param>
/// <param name="MeanAccuracy">Mean of <paramref name="SeedMeans"/>.</param>
/// <param name="SeedStd">Standard deviation of <paramref name="SeedMeans"/>: how far one 10-fold run moves.</param>
/// <param name="FoldAccuracies">Each fold's accuracy averaged over the repetitions.</param>
/// <param name="PooledAccuracy">Every test prediction of every repetition counted once.</param>
/// <param name="MirroredMeanAccuracy">Mean over repetitions of the mirror-averaged accuracy, if every one measured it.</param>
/// <param name="TestImages">Test images over <paramref name="Folds"/> (each once).</param>
/// <param name="WrongInEverySeed">Test images that every repetition misclassified: errors no reseeding fixes.</param>
/// <param name="WrongInSomeSeed">Test images that at least one repetition misclassified; the difference to
/// <paramref name="WrongInEverySeed"/> is the share of the errors that is training noise.</param>
/// <param name="Persistent">The <paramref name="WrongInEverySeed"/> images themselves, with what each repetition said.</param>
public sealed record SeedVariantSummary(
    string Variant,
    int Seeds,
    int[] Folds,
    double[] SeedMeans,
    double MeanAccuracy,
    double SeedStd,
    double[] FoldAccuracies,
    double PooledAccuracy,
    double MacroF1,
    double? MirroredMeanAccuracy,
    int TestImages,
    int WrongInEverySeed,
    int WrongInSomeSeed,
    IReadOnlyList<PersistentError> Persistent)
{
    /// <summary>The persistent errors by (true class, class said most often), most frequent first.</summary>
    public IEnumerable<(int Actual, int Said, int Count)> PersistentConfusions() =>
        Persistent.GroupBy(e => (e.Actual, e.MostSaid)).Select(g => (g.Key.Actual, g.Key.MostSaid, g.Count()))
            .OrderByDescending(c => c.Item3).ThenBy(c => c.Actual).ThenBy(c => c.MostSaid);
}

/// <summary>
/// Several runs of one experiment that differ only in the training seed (same folds, same test images), read
/// together: per variant the mean over seeds and how much it moves between seeds, and the variants paired fold
/// by fold on their seed-averaged accuracies. One 10-fold run carries about ±1 point of training noise here, more
/// than the variants differ; averaging seeds per fold before pairing removes part of it.
/// </summary>
/// <param name="NotInEveryFile">Variants asked for that have no fold every file holds (left out of the tables).</param>
public sealed record SeedSummary(
    string Name,
    string Command,
    IReadOnlyList<string> ResultsFiles,
    IReadOnlyList<SeedVariantSummary> Variants,
    IReadOnlyList<PairedComparison> Comparisons,
    IReadOnlyList<string> NotInEveryFile,
    Provenance Provenance,
    IReadOnlyList<string> ClassNames)
{
    /// <summary>Per variant, the picture of its persistent errors (<see cref="ErrorGrid"/>), as the notebook links it.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, string> ErrorGrids { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// One stand-in result per (variant, fold) whose test accuracy is the mean over the repetitions: a less noisy
    /// baseline for pairing other experiments with (<see cref="ExperimentReport.ReadBaseline"/>). Not saved.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<FoldResult> SeedAveraged { get; init; } = [];

    /// <summary>
    /// Reads the results of each file for each variant on the folds that every file has for that variant. A fold
    /// whose test images differ between files is an error: those runs are not repetitions of one experiment.
    /// </summary>
    public static SeedSummary From(string name, string command, IReadOnlyList<(string Path, IReadOnlyList<FoldResult> Results)> runs,
        IReadOnlyList<string> variants, LabelSet labels)
    {
        if (runs.Count < 2) throw new ArgumentException("give at least two results files (one per training seed)");
        var summaries = new List<SeedVariantSummary>();
        var averaged = new List<FoldResult>();
        var missing = new List<string>();
        foreach (var variant in variants)
        {
            var perRun = runs.Select(run =>
            {
                var byFold = run.Results.Where(r => r.Variant == variant).GroupBy(r => r.Fold).ToArray();
                if (byFold.FirstOrDefault(g => g.Count() > 1) is { } twice)
                    throw new InvalidDataException($"{run.Path}: fold {twice.Key} of '{variant}' is there {twice.Count()} times; one results file holds one run of each (variant, fold)");
                return byFold.ToDictionary(g => g.Key, g => g.Single());
            }).ToArray();
            if (perRun.Any(r => r.Count == 0)) { missing.Add(variant); continue; }
            int[] folds = perRun.Select(r => r.Keys.AsEnumerable()).Aggregate((a, b) => a.Intersect(b)).Order().ToArray();
            if (folds.Length == 0) { missing.Add(variant); continue; }
            foreach (int fold in folds)
                for (int i = 1; i < runs.Count; i++)
                    if (!perRun[i][fold].TestIndices.SequenceEqual(perRun[0][fold].TestIndices))
                        throw new InvalidDataException($"{runs[i].Path}: fold {fold} of '{variant}' tests other images than in {runs[0].Path}; these runs are not repetitions of one experiment");

            double[] seedMeans = perRun.Select(r => folds.Average(f => r[f].TestAccuracy)).ToArray();
            double[] foldAccuracies = folds.Select(f => perRun.Average(r => r[f].TestAccuracy)).ToArray();
            var all = perRun.SelectMany(r => folds.Select(f => r[f])).ToArray();
            var pooled = ClassificationReport.From(all.SelectMany(r => r.Actual).ToArray(), all.SelectMany(r => r.Predicted).ToArray(), labels);
            double? mirrored = Stat.MeanOfAll(perRun.Select(r => Stat.MeanOfAll(folds.Select(f => r[f].MirroredTestAccuracy))));
            // Per test image, what each repetition said (the test images of a fold are the same in every file).
            var images = folds.SelectMany(f => perRun[0][f].TestIndices.Select((index, k) =>
                (Index: index, Actual: perRun[0][f].Actual[k], Said: perRun.Select(r => r[f].Predicted[k]).ToArray()))).ToArray();
            var wrongCounts = images.Select(i => i.Said.Count(said => said != i.Actual)).ToArray();
            var persistent = images.Where((_, n) => wrongCounts[n] == runs.Count).Select(i => new PersistentError(i.Index, i.Actual, i.Said)).ToArray();
            summaries.Add(new SeedVariantSummary(variant, runs.Count, folds, seedMeans, seedMeans.Average(),
                Stat.SampleStandardDeviation(seedMeans), foldAccuracies, pooled.Accuracy, pooled.MacroF1, mirrored,
                wrongCounts.Length, wrongCounts.Count(c => c == runs.Count), wrongCounts.Count(c => c > 0), persistent));
            // A stand-in result per fold carrying the seed-averaged accuracy, so that the pairing is the experiments' own;
            // a fine-tuned variant's first-stage accuracy is averaged the same way when every repetition recorded it.
            averaged.AddRange(folds.Select((f, k) => perRun[0][f] with
            {
                TestAccuracy = foldAccuracies[k],
                FirstStageTestAccuracy = Stat.MeanOfAll(perRun.Select(r => r[f].FirstStageTestAccuracy)),
            }));
        }
        string[] order = summaries.Select(s => s.Variant).ToArray();
        // Each fine-tuned variant also against its own first stage, seed-averaged: the fine-tuning's effect with the
        // noise of both the training and the fine-tuning averaged down.
        var comparisons = PairedComparison.Within(averaged, order).Concat(PairedComparison.FineTuned(averaged, order)).ToArray();
        return new SeedSummary(name, command, runs.Select(r => r.Path.Replace('\\', '/')).ToArray(), summaries, comparisons, missing, Provenance.Current(), labels.Names)
        {
            SeedAveraged = averaged,
        };
    }

    public void WriteJson(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, FersnetJson.Indented) + "\n");
    }

    /// <summary>This summary as a generated section of the lab notebook.</summary>
    public string Markdown()
    {
        var section = Notebook.Section($"{Name}: {ResultsFiles.Count} training seeds on the same folds", Command, Provenance);
        section.AppendLine($"- Repetitions (one per file, in this order): {string.Join(", ", ResultsFiles.Select(f => $"`{f}`"))}");
        if (NotInEveryFile.Count > 0)
            section.AppendLine($"- Left out (no fold that every file has): {string.Join(", ", NotInEveryFile)}");
        section.AppendLine();
        bool mirrored = Variants.Any(v => v.MirroredMeanAccuracy is not null);
        var headers = new List<string> { "variant", "seeds", "folds", "10-fold mean per seed", "mean over seeds ± std between seeds" };
        if (mirrored) headers.Add("mirror-averaged");
        headers.AddRange(["pooled accuracy", "macro-F1", "paper", "test images wrong in every seed", "wrong in some seed"]);
        section.Append(Reporting.Markdown.Table(headers, Variants.Select(v =>
        {
            var row = new List<string> { v.Variant, $"{v.Seeds}", $"{v.Folds.Length}", string.Join(", ", v.SeedMeans.Select(a => Reporting.Markdown.Percent(a))),
                $"{Reporting.Markdown.Percent(v.MeanAccuracy)} ± {Reporting.Markdown.Percent(v.SeedStd)}" };
            if (mirrored) row.Add(v.MirroredMeanAccuracy is { } m ? Reporting.Markdown.Percent(m) : "");
            row.AddRange([Reporting.Markdown.Percent(v.PooledAccuracy), Reporting.Markdown.Percent(v.MacroF1),
                ExperimentReport.PaperCkPlus.TryGetValue(v.Variant, out var p) ? Reporting.Markdown.Number(p, 2) : "",
                $"{v.WrongInEverySeed} of {v.TestImages}", $"{v.WrongInSomeSeed}"]);
            return (IReadOnlyList<string>)row;
        })));
        if (Comparisons.Count > 0)
        {
            section.AppendLine();
            section.AppendLine("The variants paired fold by fold on their seed-averaged accuracies (difference = variant − baseline):");
            section.AppendLine();
            section.Append(PairedComparison.MarkdownTable(Comparisons, withSource: false));
        }
        foreach (var v in Variants.Where(v => v.Persistent.Count > 0))
        {
            section.AppendLine();
            section.AppendLine($"{v.Variant}: {v.Persistent.Count} {(v.Persistent.Count == 1 ? "image" : "images")} wrong in every seed, as true > said most often: {PersistentText(v)}.");
            if (ErrorGrids.TryGetValue(v.Variant, out var grid))
            {
                section.AppendLine();
                section.AppendLine($"![{v.Variant}: images wrong in every seed]({grid})");
            }
        }
        return section.ToString();
    }

    private string PersistentText(SeedVariantSummary v) =>
        string.Join(", ", v.PersistentConfusions().Select(c => $"{ClassNames[c.Actual]} > {ClassNames[c.Said]} {c.Count}"));
}
