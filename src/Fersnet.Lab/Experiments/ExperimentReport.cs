using System.Text.Json;
using System.Text.Json.Serialization;
using Fersnet.Data;
using ScottPlot;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;
using Fersnet.Serialization;

namespace Fersnet.Lab.Experiments;

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
        File.WriteAllText(reportPath, JsonSerializer.Serialize(document, FersnetJson.Indented) + "\n");
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
        string figures = Notebook.Link(figureDirectory, notebookPath);
        var section = Notebook.Section($"{document.Name}: subject-independent {document.Config.Folds}-fold ablation{(document.Complete ? "" : " (in progress)")}",
            document.Command, document.Provenance);
        section.AppendLine(ExperimentNotebook.Budget(document.Config));
        foreach (var line in ExperimentNotebook.FineTuneBudgets(document)) section.AppendLine(line);
        section.AppendLine(ExperimentNotebook.TrainingTime(document.TotalTrainingSeconds));
        section.AppendLine();
        section.Append(ExperimentNotebook.VariantTable(document));
        foreach (var line in ExperimentNotebook.Gates(document))
        {
            section.AppendLine();
            section.AppendLine(line);
        }
        if (document.Comparisons.Count > 0)
        {
            section.AppendLine();
            section.AppendLine(ExperimentNotebook.ComparisonsIntroduction);
            section.AppendLine();
            section.Append(PairedComparison.MarkdownTable(document.Comparisons, withSource: true));
        }
        section.AppendLine();
        section.AppendLine(Markdown.Image("variants", $"{figures}/variants.png"));
        foreach (var variant in document.Variants.Keys.Where(v => File.Exists(Path.Combine(figureDirectory, Experiment.SynthesisGridFile(v)))))
        {
            section.AppendLine();
            section.AppendLine(ExperimentNotebook.SynthesisGridCaption(variant));
            section.AppendLine();
            section.AppendLine(Markdown.Image("synthesis", $"{figures}/{Experiment.SynthesisGridFile(variant)}"));
        }
        Notebook.ReplaceSection(notebookPath, document.Name, section.ToString());
    }
}
