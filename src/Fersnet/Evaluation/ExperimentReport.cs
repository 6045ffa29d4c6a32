using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Fersnet.Data;
using ScottPlot;

namespace Fersnet.Evaluation;

/// <summary>
/// Writes an experiment's report: a JSON summary (per variant: meanAccuracy, stdAccuracy, pooledAccuracy, macroF1,
/// folds, …), a confusion-matrix PNG per variant, a bar plot of the variants, and a generated section of the lab
/// notebook (docs/RESULTS.md) with the command, date, machine and commit.
/// </summary>
public static class ExperimentReport
{
    /// <summary>The paper's single-image 10-fold CK+ accuracies (Zhao et al., ICPR 2020, ablation table).</summary>
    public static readonly IReadOnlyDictionary<string, double> PaperCkPlus = new Dictionary<string, double>
    {
        ["single"] = 94.66, ["hard"] = 96.39, ["fersnet"] = 97.42, ["fersnet+synth"] = 98.04,
    };

    public sealed record Document(
        string Name,
        string Command,
        ExperimentConfig Config,
        int FoldsPlanned,
        bool Complete,
        IReadOnlyDictionary<string, VariantSummary> Variants,
        double TotalTrainingSeconds,
        IReadOnlyList<string> Labels,
        Provenance Provenance,
        IReadOnlyList<PairedComparison> Comparisons,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] FineTune? FineTune = null);

    /// <param name="baselines">Results files of other experiments on the same folds: every variant here is paired
    /// with every variant there, fold by fold (after the variants here are paired with each other). Files joined
    /// with '+' are repetitions of one experiment, averaged fold by fold first (<see cref="ReadBaseline"/>).</param>
    public static Document Write(string name, string command, Experiment experiment, LabelSet labels, string reportPath, string figureDirectory, string? notebookPath,
        IReadOnlyList<string>? baselines = null)
    {
        var results = experiment.ReadResults();
        string[] variants = experiment.Variants.Select(v => v.Name).ToArray();
        var ours = results.Where(r => variants.Contains(r.Variant)).ToArray();
        var summaries = Experiment.Summarise(results, labels, variants);
        bool complete = experiment.Variants.All(v => summaries.FirstOrDefault(s => s.Variant == v.Name)?.Folds == experiment.Config.Folds);
        // The variants against each other first (the ablation's own question), then against other experiments.
        var comparisons = PairedComparison.Within(ours, variants)
            .Concat(PairedComparison.FineTuned(ours, variants))
            .Concat(PairedComparison.Mirrored(ours, variants))
            .Concat((baselines ?? []).SelectMany(spec =>
                PairedComparison.Between(ours, ReadBaseline(spec, labels), spec.Replace('\\', '/').Replace("+", " + "))))
            .ToArray();
        var document = new Document(name, command, experiment.Config, experiment.Config.Folds, complete,
            summaries.ToDictionary(s => s.Variant), summaries.Sum(s => s.TrainingSeconds), labels.Names, Provenance.Current(), comparisons,
            experiment.Variants.Select(v => v.FineTune).FirstOrDefault(f => f is not null));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
        File.WriteAllText(reportPath, JsonSerializer.Serialize(document, new JsonSerializerOptions(Training.Checkpoint.Json) { WriteIndented = true }) + "\n");
        Directory.CreateDirectory(figureDirectory);
        foreach (var summary in summaries)
            Plots.ConfusionMatrix(Experiment.PooledReport(results, summary.Variant, labels), Path.Combine(figureDirectory, $"confusion-{summary.Variant}.png"),
                $"{summary.Variant}, {summary.Folds} folds pooled");
        if (summaries.Count > 0) VariantBars(summaries, Path.Combine(figureDirectory, "variants.png"), name);
        if (notebookPath is not null) UpdateNotebook(notebookPath, document, figureDirectory);
        return document;
    }

    /// <summary>
    /// The results of a baseline: one results file, or several joined with '+' (repetitions of one experiment with
    /// other training seeds), whose accuracies are averaged fold by fold. A single run carries its training noise into
    /// every paired difference; the mean of several carries less of it.
    /// </summary>
    /// <exception cref="InvalidDataException">A file is missing, or the repetitions do not test the same images.</exception>
    public static IReadOnlyList<FoldResult> ReadBaseline(string spec, LabelSet labels)
    {
        var paths = spec.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var runs = paths.Select(p => (p, Experiment.ReadExistingResultsFile(p, "baseline results file"))).ToArray();
        if (runs.Length == 1) return runs[0].Item2;
        var variants = runs.SelectMany(r => r.Item2.Select(f => f.Variant)).Distinct().ToArray();
        return SeedSummary.From(spec, "", runs, variants, labels).SeedAveraged;
    }

    private static void VariantBars(IReadOnlyList<VariantSummary> summaries, string path, string title)
    {
        var plot = new Plot();
        var bars = summaries.Select((s, i) => new Bar { Position = i, Value = s.MeanAccuracy * 100, Error = s.StdAccuracy * 100, Label = $"{s.MeanAccuracy * 100:F2}" }).ToList();
        var series = plot.Add.Bars(bars);
        series.ValueLabelStyle.FontSize = 12;
        var paper = summaries.Select((s, i) => (i, PaperCkPlus.GetValueOrDefault(s.Variant, double.NaN))).Where(p => !double.IsNaN(p.Item2)).ToArray();
        if (paper.Length > 0)
        {
            var markers = plot.Add.ScatterPoints(paper.Select(p => (double)p.i).ToArray(), paper.Select(p => p.Item2).ToArray());
            markers.MarkerSize = 12;
            markers.MarkerShape = MarkerShape.FilledDiamond;
            markers.Color = Colors.Red;
            markers.LegendText = "paper (CK+, 10-fold)";
            plot.ShowLegend(Alignment.LowerRight);
        }
        plot.Axes.Bottom.SetTicks(summaries.Select((_, i) => (double)i).ToArray(), summaries.Select(s => $"{s.Variant} ({s.Folds} folds)").ToArray());
        double low = Math.Min(summaries.Min(s => (s.MeanAccuracy - s.StdAccuracy) * 100), paper.Length > 0 ? paper.Min(p => p.Item2) : 100);
        plot.Axes.SetLimitsY(Math.Max(0, Math.Floor(low / 5) * 5 - 5), 100.5);
        plot.Axes.Left.Label.Text = "test accuracy (%), mean ± std over folds";
        plot.Title(title);
        plot.SavePng(path, 700, 450);
    }

    /// <summary>Replaces (or appends) this experiment's generated section of the notebook.</summary>
    private static void UpdateNotebook(string notebookPath, Document document, string figureDirectory)
    {
        var inv = CultureInfo.InvariantCulture;
        var section = Notebook.Section($"{document.Name}: subject-independent {document.Config.Folds}-fold ablation{(document.Complete ? "" : " (in progress)")}",
            document.Command, document.Provenance);
        var t = document.Config.Train;
        section.AppendLine(string.Create(inv, $"- Budget per (variant, fold): {t.Epochs} epochs, batch {t.BatchSize}, AdamW lr {t.LearningRate} cosine, {document.Config.ImageSize}px, width {document.Config.Width}, seed {document.Config.Seed}{(t.Seed != document.Config.Seed ? $" (trainings: seed {t.Seed})" : "")};{(document.Config.ValidationSplit > 0 ? $" model selection on {document.Config.ValidationSplit:P0} of the training subjects" : t.SelectionStart >= 1 ? " no hold-out: every training subject trains and the last epoch is tested" : " no hold-out: every training subject trains, selection on training accuracy")}; synthesis warm-up {t.SynthesisWarmupEpochs} epochs, synthesis weight {t.Losses.Synthesis}, a synthesis step on every {(t.SynthesisEvery == 1 ? "" : Notebook.Ordinal(t.SynthesisEvery) + " ")}batch, cycle pass on {(t.CycleShare is { } share ? $"{share:P0} of it" : "all of it")}, synthesis gradients {(t.SynthesisGradientsIntoFer ? "into" : "kept out of")} the recognition features{(document.Config.GateBias is { } bias ? $", gate bias {bias}" : "")}{(t.WeightAverageDecay is { } decay ? $"; validation, selection and test use the moving average of the weights (decay {decay} per step)" : "")}{(t.InitFrom is { } init ? $"; every fold starts from the weights of `{init}`" : "")}"));
        if (document.FineTune is { } fineTune)
        {
            // Each variant's second-stage budget as the experiment derives it (epochs and rate), not re-derived here.
            Training.TrainConfig SecondStage(string variant) => Variant.Parse(variant, fineTune).FineTune!.For(t, document.Labels.Count);
            if (document.Variants.ContainsKey("fersnet+synth"))
            {
                var budget = SecondStage("fersnet+synth");
                section.AppendLine(string.Create(inv, $"- fersnet+synth: each fold's FERSNet, trained with the fersnet row's seed and budget (the very same training when both run in one sitting; the row's own figures may come from older code), re-draws every training face with each other expression (every class then has as many faces as there are real ones); recognition is fine-tuned on real + synthetic faces for {budget.Epochs} epochs at peak lr {budget.LearningRate} cosine, selected like the others; its time is what it adds to the fersnet row (drawing the faces and fine-tuning)"));
            }
            if (document.Variants.ContainsKey("fersnet+tune"))
            {
                var budget = SecondStage("fersnet+tune");
                section.AppendLine(string.Create(inv, $"- fersnet+tune (control): the same fine-tuning of the same fold models on the real faces alone, for {budget.Epochs} epochs (as many steps as fersnet+synth's) at peak lr {budget.LearningRate}"));
            }
        }
        section.AppendLine(string.Create(inv, $"- Training time so far: {document.TotalTrainingSeconds / 3600:F2} h"));
        section.AppendLine();
        // The mirror-averaged column appears once any variant has it (results recorded before it was measured lack it).
        bool mirrored = document.Variants.Values.Any(v => v.MirroredMeanAccuracy is not null);
        section.AppendLine("| variant | folds | mean ± std accuracy | " + (mirrored ? "mirror-averaged mean | " : "") + "pooled accuracy | macro-F1 | paper | train img/s | " + string.Join(" | ", document.Labels.Select(l => $"recall {l}")) + " |");
        section.AppendLine("|---|---|---|" + (mirrored ? "---|" : "") + "---|---|---|---|" + string.Concat(document.Labels.Select(_ => "---|")));
        foreach (var s in document.Variants.Values)
        {
            string paper = PaperCkPlus.TryGetValue(s.Variant, out var p) ? p.ToString("F2", inv) : "";
            string mirroredCell = mirrored ? (s.MirroredMeanAccuracy is { } m ? (m * 100).ToString("F2", inv) : "") + " | " : "";
            section.AppendLine(string.Create(inv, $"| {s.Variant} | {s.Folds}/{document.Config.Folds} | {s.MeanAccuracy * 100:F2} ± {s.StdAccuracy * 100:F2} | {mirroredCell}{s.PooledAccuracy * 100:F2} | {s.MacroF1 * 100:F2} | {paper} | {s.TrainImagesPerSecond:F0} | ")
                              + string.Join(" | ", document.Labels.Select(l => (s.PerClassRecall[l] * 100).ToString("F1", inv))) + " |");
        }
        var gated = document.Variants.Values.Where(v => v.MeanGates is not null).ToArray();
        foreach (var s in gated)
        {
            int depths = s.MeanGates!.Count / 2;
            section.AppendLine();
            section.AppendLine(string.Create(inv, $"Mean update gate z of {s.Variant} at its selected epoch{(document.Config.ValidationSplit > 0 ? "" : ", on the test faces (no hold-out)")} (how much each branch takes from the other), depth 1..{depths}: recognition ← synthesis {string.Join(", ", s.MeanGates.Take(depths).Select(z => z.ToString("F2", inv)))}; synthesis ← recognition {string.Join(", ", s.MeanGates.Skip(depths).Select(z => z.ToString("F2", inv)))}."));
        }
        if (document.Comparisons.Count > 0)
        {
            section.AppendLine();
            section.AppendLine($"Paired fold by fold on identical test images (difference = variant − baseline, per fold; \"{PairedComparison.SameExperiment}\" pairs the variants above with each other in the order of `--variants`, the others are earlier experiments on the same folds):");
            section.AppendLine();
            section.Append(PairedComparison.MarkdownTable(document.Comparisons, withSource: true));
        }
        string relative = Path.GetRelativePath(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!, figureDirectory).Replace('\\', '/');
        section.AppendLine();
        section.AppendLine($"![variants]({relative}/variants.png)");
        foreach (var variant in document.Variants.Keys.Where(v => File.Exists(Path.Combine(figureDirectory, Experiment.SynthesisGridFile(v)))))
        {
            section.AppendLine();
            section.AppendLine($"What {variant}'s synthesis branch draws in fold 1 (rows: the first training face of each expression; columns: the real face, then re-drawn with each expression):");
            section.AppendLine();
            section.AppendLine($"![synthesis]({relative}/{Experiment.SynthesisGridFile(variant)})");
        }
        Notebook.ReplaceSection(notebookPath, document.Name, section.ToString());
    }
}
