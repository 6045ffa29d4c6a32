using System.Text.Json;
using System.Text.Json.Serialization;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Inference;
using Fersnet.Lab.Reporting;
using Fersnet.Models;
using Fersnet.Serialization;
using TorchSharp;

namespace Fersnet.Lab.Experiments;

/// <summary>
/// One trained model scored on a dataset's fixed test splits (FER2013: selected on PublicTest, reported on
/// PrivateTest). The first eight fields are <c>docs/results/fer2013.json</c>'s; accuracies are fractions.
/// </summary>
public sealed record ScoredModel(
    string Name,
    string Variant,
    string Checkpoint,
    double PrivateTestAccuracy,
    double PublicTestAccuracy,
    double MacroF1,
    double TrainImagesPerSecond,
    int Epochs,
    int SelectedEpoch,
    double TrainingHours,
    double PrivateTestMirroredAccuracy,
    IReadOnlyDictionary<string, double> PerClassRecall,
    string ConfusionFigure,
    IReadOnlyList<string> TrainedOnScoredSplits,
    long Parameters,
    int ImageSize,
    IReadOnlyList<string> TrainSplits,
    DateTime SavedUtc,
    IReadOnlyList<TransferScore> Transfer)
{
    /// <summary>The report split's accuracy over the scoreboard's <see cref="Scoreboard.Views"/> (e.g. mirror and
    /// shifts), beside the plain and mirror-averaged ones; null when the scoreboard reads no more views.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PrivateTestViewsAccuracy { get; init; }

    /// <summary>A model trained on the selection or report split scores those faces from memory: never a test figure, never the best.</summary>
    [JsonIgnore] public bool IsTestFigure => TrainedOnScoredSplits.Count == 0;

    /// <summary>The report split's true classes and this model's predictions, image by image (for paired tests).</summary>
    [JsonIgnore] public int[] Actual { get; init; } = [];
    [JsonIgnore] public int[] Predicted { get; init; } = [];
    /// <summary>The report split's confusion counts (rows true, columns predicted, in <see cref="PerClassRecall"/>'s class order).</summary>
    [JsonIgnore] public int[][] Confusion { get; init; } = [];

    /// <summary>An ensemble's members (model names), in the order chosen; null for a single model.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Members { get; init; }
}

/// <summary>
/// A model scored on every face of another dataset whose class it knows (how it carries beyond its own data; e.g. CK+'s
/// posed faces for a FER2013 model, without contempt, which FER2013 lacks), plain and mirror-averaged (beside, never instead).
/// </summary>
public sealed record TransferScore(string Dataset, int Faces, double Accuracy, double MirroredAccuracy, double MacroF1, IReadOnlyDictionary<string, double> Recall)
{
    /// <summary>The accuracy over the scoreboard's <see cref="Scoreboard.Views"/>; null when it reads no more views.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ViewsAccuracy { get; init; }
}

/// <summary>Two models on the same report-split images: McNemar's test of their disagreements.</summary>
public sealed record ScoredPair(string First, string Second, McNemar Test);

/// <summary>Models scored on the same held-out splits, paired image by image, the best chosen on the selection split.</summary>
public sealed record Scoreboard(string Name, string Command, Provenance Provenance, string ReportSplit, string SelectionSplit,
    IReadOnlyList<ScoredModel> Models, string Best, IReadOnlyList<ScoredPair> Comparisons)
{
    /// <summary>More test-time views every model is also read with on the report split and the transfer sets (e.g.
    /// mirror and shifts), reported beside the plain and mirror-averaged figures; null: none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TestTimeViews? Views { get; init; }

    /// <summary>Scores every checkpoint on both splits of <paramref name="data"/>; confusion matrices go to <paramref name="figureDirectory"/>.</summary>
    /// <param name="checkpoints">Name and path of each model.</param>
    /// <param name="transfer">Other datasets (name and path) every model is also scored on, all faces of the classes it knows.</param>
    /// <param name="ensembles">Ensembles to score (name and candidate model names): the members are chosen among the
    /// candidates on the selection split alone (<see cref="ChooseMembers"/>), and the ensemble is scored like a model.</param>
    /// <param name="views">More test-time views to read every model with on the report split and the transfer sets,
    /// beside the plain and mirror-averaged readings (<see cref="Views"/>); null: none.</param>
    /// <exception cref="DatasetException">The data lacks one of the splits.</exception>
    public static Scoreboard Score(string name, string command, string data, IReadOnlyList<(string Name, string Path)> checkpoints, string figureDirectory,
        string reportSplit = "PrivateTest", string selectionSplit = "PublicTest", Action<string>? log = null,
        IReadOnlyList<(string Name, string Path)>? transfer = null, IReadOnlyList<(string Name, IReadOnlyList<string> Candidates)>? ensembles = null, TestTimeViews? views = null)
    {
        // Read first: the figures it writes would make the tree differ from the commit (its time is the start's, then).
        var provenance = Provenance.Current();
        var scan = DatasetReader.Read(data);
        var transferScans = (transfer ?? []).Select(t => (t.Name, Scan: DatasetReader.Read(t.Path))).ToArray();
        DatasetScan Split(string split)
        {
            var samples = scan.Samples.Where(s => string.Equals(s.Split, split, StringComparison.OrdinalIgnoreCase)).ToArray();
            return samples.Length > 0 ? scan with { Samples = samples } : throw new DatasetException(data, $"has no samples in split '{split}'");
        }
        var (report, selection) = (Split(reportSplit), Split(selectionSplit));
        Directory.CreateDirectory(figureDirectory);
        var models = new List<ScoredModel>();
        var predictions = new Dictionary<string, ModelPredictions>();
        try
        {
            foreach (var (modelName, path) in checkpoints)
            {
                using var model = TrainedModel.Load(path);
                var predicted = ModelPredictions.Of(model, report, selection, transferScans, views);
                predictions[modelName] = predicted;
                var history = model.Header.History;
                // Split names are the dataset's own (FER2013's Training, PublicTest, PrivateTest), so this holds wherever the data lives.
                string[] trainedOn = (model.Header.Data?.TrainSplits ?? [])
                    .Where(s => s.Equals(reportSplit, StringComparison.OrdinalIgnoreCase) || s.Equals(selectionSplit, StringComparison.OrdinalIgnoreCase)).ToArray();
                var facts = new TrainingFacts(model.Model.Config.Kind.ToString().ToLowerInvariant(), path.Replace('\\', '/'),
                    history.Count == 0 ? 0 : history.Average(m => m.ImagesPerSecond), model.Header.Train.Epochs, model.Header.BestEpoch,
                    history.Sum(m => m.Seconds) / 3600, trainedOn, model.Model.parameters().Sum(p => p.numel()), model.Model.Config.ImageSize,
                    model.Header.Data?.TrainSplits is { Count: > 0 } splits ? [.. splits] : ["Training"], model.Header.SavedUtc);
                models.Add(Scored(modelName, facts, predicted, transferScans, figureDirectory, reportSplit));
                log?.Invoke($"{modelName}: {reportSplit} {models[^1].PrivateTestAccuracy * 100:F2}%, {selectionSplit} {models[^1].PublicTestAccuracy * 100:F2}%"
                    + (trainedOn.Length > 0 ? $" (trained on {string.Join(", ", trainedOn)}: not a test figure, not eligible as best)" : ""));
            }
            foreach (var (ensembleName, candidates) in ensembles ?? [])
            {
                var eligible = candidates.Select(c => models.SingleOrDefault(m => m.Name == c) ?? throw new ArgumentException($"ensemble {ensembleName}: no model named '{c}'"))
                    .Where(m => m.IsTestFigure).ToArray();
                if (eligible.Select(m => predictions[m.Name].Labels).Distinct().Skip(1).Any())
                    throw new ArgumentException($"ensemble {ensembleName}: its models know different expressions");
                var members = ChooseMembers(eligible.Select(m => (m.Name, predictions[m.Name].Selection)).ToArray());
                var chosen = members.Select(n => models.Single(m => m.Name == n)).ToArray();
                var facts = new TrainingFacts("ensemble", string.Join('+', chosen.Select(m => m.Checkpoint)),
                    1 / chosen.Sum(m => 1 / m.TrainImagesPerSecond), chosen.Sum(m => m.Epochs), 0, chosen.Sum(m => m.TrainingHours), [],
                    chosen.Sum(m => m.Parameters), chosen.Max(m => m.ImageSize), [.. chosen.SelectMany(m => m.TrainSplits).Distinct()], chosen.Max(m => m.SavedUtc));
                using var mean = ModelPredictions.Mean(members.Select(n => predictions[n]).ToArray());
                models.Add(Scored(ensembleName, facts, mean, transferScans, figureDirectory, reportSplit) with { Members = members });
                log?.Invoke($"{ensembleName} (mean of {string.Join(", ", members)}, chosen on {selectionSplit}): {reportSplit} {models[^1].PrivateTestAccuracy * 100:F2}%, {selectionSplit} {models[^1].PublicTestAccuracy * 100:F2}%");
            }
        }
        finally
        {
            foreach (var p in predictions.Values) p.Dispose();
        }
        // Pairs only among test figures: a model that trained on the report split has nothing to say about it.
        var tested = models.Where(m => m.IsTestFigure).ToArray();
        var pairs = tested.SelectMany((a, i) => tested.Skip(i + 1).Select(b => new ScoredPair(a.Name, b.Name, McNemar.Of(a.Actual, a.Predicted, b.Predicted)))).ToArray();
        // The best is chosen on the selection split only: the report split stays a test.
        string best = models.Where(m => m.IsTestFigure).MaxBy(m => m.PublicTestAccuracy)?.Name ?? "";
        return new Scoreboard(name, command, provenance, reportSplit, selectionSplit, models, best, pairs) { Views = views };
    }

    /// <summary>
    /// Greedy forward selection on the selection split alone (the report split never chooses): start from the candidate
    /// of lowest loss, add the one that lowers the loss of the mean probabilities most, stop when none lowers it. The
    /// loss (mean −log of the true class's probability), not the accuracy, decides: it moves with every face's
    /// probabilities, where the accuracy moves only when a face changes side, and stops a selection too early.
    /// </summary>
    /// <returns>The members' names, in the order they were chosen.</returns>
    public static IReadOnlyList<string> ChooseMembers(IReadOnlyList<(string Name, Predictions Selection)> candidates)
    {
        if (candidates.Count == 0) throw new ArgumentException("an ensemble needs at least one candidate that is a test figure");
        static double Loss(IEnumerable<Predictions> members)
        {
            using var mean = Predictions.Mean(members.ToArray());
            return mean.MeanLoss;
        }
        var chosen = new List<(string Name, Predictions Selection)> { candidates.MinBy(c => c.Selection.MeanLoss) };
        double loss = chosen[0].Selection.MeanLoss;
        while (true)
        {
            var next = candidates.Where(c => !chosen.Contains(c))
                .Select(c => (Candidate: c, Loss: Loss(chosen.Append(c).Select(m => m.Selection))))
                .OrderBy(c => c.Loss).FirstOrDefault();
            if (next.Candidate.Name is null || next.Loss >= loss) return chosen.Select(c => c.Name).ToArray();
            chosen.Add(next.Candidate);
            loss = next.Loss;
        }
    }

    /// <summary>What a scored model is, beside its scores: from its checkpoint, or summed over an ensemble's members.</summary>
    private sealed record TrainingFacts(string Variant, string Checkpoint, double TrainImagesPerSecond, int Epochs, int SelectedEpoch,
        double TrainingHours, IReadOnlyList<string> TrainedOnScoredSplits, long Parameters, int ImageSize, IReadOnlyList<string> TrainSplits, DateTime SavedUtc);

    private static ScoredModel Scored(string name, TrainingFacts facts, ModelPredictions predicted,
        IReadOnlyList<(string Name, DatasetScan Scan)> transferScans, string figureDirectory, string reportSplit)
    {
        var labels = predicted.Labels;
        var scores = predicted.Report.Plain.Report(labels);
        string confusion = $"confusion-{name}.png";
        Plots.ConfusionMatrix(scores, Path.Combine(figureDirectory, confusion), $"{name}, {reportSplit}");
        return new ScoredModel(name, facts.Variant, facts.Checkpoint, scores.Accuracy, predicted.Selection.Report(labels).Accuracy, scores.MacroF1,
            facts.TrainImagesPerSecond, facts.Epochs, facts.SelectedEpoch, facts.TrainingHours, predicted.Report.Mirrored.Report(labels).Accuracy,
            scores.PerClass.ToDictionary(c => c.Label, c => c.Recall), confusion, facts.TrainedOnScoredSplits, facts.Parameters, facts.ImageSize,
            facts.TrainSplits, facts.SavedUtc, [.. transferScans.Select((t, i) => Transfer(t.Name, predicted.Transfer[i], labels))])
        {
            Actual = predicted.Report.Plain.Actual,
            Predicted = predicted.Report.Plain.Predicted,
            Confusion = scores.Confusion,
            PrivateTestViewsAccuracy = predicted.Report.Viewed?.Report(labels).Accuracy,
        };
    }

    private static TransferScore Transfer(string name, Readings readings, LabelSet labels)
    {
        var scores = readings.Plain.Report(labels);
        // Recall only for the classes the other dataset has: a class without faces there has no recall to speak of.
        return new TransferScore(name, readings.Plain.Actual.Length, scores.Accuracy, readings.Mirrored.Report(labels).Accuracy, scores.MacroF1,
            scores.PerClass.Where(c => c.Support > 0).ToDictionary(c => c.Label, c => c.Recall)) { ViewsAccuracy = readings.Viewed?.Report(labels).Accuracy };
    }

    /// <summary>One set's predictions read plain, mirror-averaged and, when the scoreboard asks, over more views (it reports each).</summary>
    private sealed record Readings(Predictions Plain, Predictions Mirrored, Predictions? Viewed) : IDisposable
    {
        public static Readings Mean(IReadOnlyList<Readings> members) =>
            new(Predictions.Mean([.. members.Select(m => m.Plain)]), Predictions.Mean([.. members.Select(m => m.Mirrored)]),
                members[0].Viewed is null ? null : Predictions.Mean([.. members.Select(m => m.Viewed!)]));

        public void Dispose()
        {
            Plain.Dispose();
            Mirrored.Dispose();
            Viewed?.Dispose();
        }
    }

    /// <summary>One model's (or ensemble's) predictions on the report split and each transfer set (plain and mirror-averaged), and on the selection split, over its classes.</summary>
    private sealed record ModelPredictions(LabelSet Labels, Readings Report, Predictions Selection, IReadOnlyList<Readings> Transfer) : IDisposable
    {
        public static ModelPredictions Of(TrainedModel model, DatasetScan report, DatasetScan selection, IReadOnlyList<(string Name, DatasetScan Scan)> transfer,
            TestTimeViews? views)
        {
            Readings Read(DatasetScan scan)
            {
                using var set = FaceDataLoader.Load(scan, model.Model.Config.ImageSize, model.Labels);
                // Nested view sets share their forward passes: the plain reading is one of the mirror pair's, both are among the views.
                var read = Evaluator.PredictEach(model.Model, set, views is null ? [TestTimeViews.Plain, TestTimeViews.Mirrored] : [TestTimeViews.Plain, TestTimeViews.Mirrored, views]);
                return new Readings(read[0], read[1], views is null ? null : read[2]);
            }
            using var selectionSet = FaceDataLoader.Load(selection, model.Model.Config.ImageSize, model.Labels);
            return new ModelPredictions(model.Labels, Read(report), Evaluator.Predict(model.Model, selectionSet), [.. transfer.Select(t => Read(t.Scan))]);
        }

        public static ModelPredictions Mean(IReadOnlyList<ModelPredictions> members) =>
            new(members[0].Labels, Readings.Mean([.. members.Select(m => m.Report)]), Predictions.Mean([.. members.Select(m => m.Selection)]),
                [.. members[0].Transfer.Select((_, i) => Readings.Mean([.. members.Select(m => m.Transfer[i])]))]);

        public void Dispose()
        {
            Report.Dispose();
            Selection.Dispose();
            foreach (var t in Transfer) t.Dispose();
        }
    }

    public void WriteJson(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, FersnetJson.Indented) + "\n");
    }

    /// <summary>This scoreboard as a generated section of the lab notebook; figures relative to the notebook.</summary>
    public string Markdown(string figures)
    {
        var section = Notebook.Section($"{Name}: models on {SelectionSplit} (selection) and {ReportSplit} (report)", Command, Provenance);
        section.AppendLine($"- Best on {SelectionSplit}: {(Best.Length > 0 ? Best : "none (every model was trained on a scored split)")}. Mirror-averaged accuracy beside, never instead of, the plain one.");
        if (Views is not null)
            section.AppendLine($"- {ViewsHeading}: each face read {Views.Count} times ({ViewsText(Views)}), the probabilities averaged; beside the plain figure, never instead.");
        foreach (var m in Models.Where(m => m.Members is not null))
            section.AppendLine($"- {m.Name}: the mean of the class probabilities of {string.Join(", ", m.Members!)}, chosen among the models its command names on {SelectionSplit} alone (greedy forward selection on the loss); its training figures are the members' summed.");
        foreach (var m in Models.Where(m => !m.IsTestFigure))
            section.AppendLine($"- {m.Name} was trained on {string.Join(", ", m.TrainedOnScoredSplits)}: its figures are not test figures (shown for reference only).");
        section.AppendLine();
        var labels = Models.FirstOrDefault()?.PerClassRecall.Keys.ToArray() ?? [];
        section.Append(Reporting.Markdown.Table(
            ["model", "variant", "epochs (selected)", SelectionSplit, ReportSplit, $"{ReportSplit} mirror-averaged", .. ViewsColumn($"{ReportSplit} {ViewsHeading}"), "macro-F1", .. labels.Select(l => $"recall {l}"), "train img/s", "training h"],
            Models.Select(m => (IReadOnlyList<string>)
            [
                m.IsTestFigure ? m.Name : $"{m.Name} (trained on {string.Join(", ", m.TrainedOnScoredSplits)})", m.Variant, m.Members is null ? $"{m.Epochs} ({m.SelectedEpoch})" : $"{m.Epochs} ({m.Members.Count} members)", Reporting.Markdown.Percent(m.PublicTestAccuracy), Reporting.Markdown.Percent(m.PrivateTestAccuracy),
                Reporting.Markdown.Percent(m.PrivateTestMirroredAccuracy), .. ViewsColumn(m.PrivateTestViewsAccuracy),
                Reporting.Markdown.Percent(m.MacroF1),
                .. labels.Select(l => Reporting.Markdown.Percent(m.PerClassRecall.GetValueOrDefault(l), 1)),
                Reporting.Markdown.Number(m.TrainImagesPerSecond, 0), Reporting.Markdown.Number(m.TrainingHours, 2),
            ])));
        if (Comparisons.Count > 0)
        {
            section.AppendLine();
            section.AppendLine($"Paired image by image on the {Models[0].Actual.Length} {ReportSplit} faces (McNemar's test; only the faces where exactly one model is right count):");
            section.AppendLine();
            section.Append(Reporting.Markdown.Table(["first", "second", "difference (points)", "only first right", "only second right", "p-value"],
                Comparisons.Select(c => (IReadOnlyList<string>)
                [
                    c.First, c.Second, PairedComparison.SignedPoints(c.Test.Difference), $"{c.Test.OnlyFirstRight}", $"{c.Test.OnlySecondRight}",
                    c.Test.PValue < 1e-4 ? "< 0.0001" : Reporting.Markdown.Number(c.Test.PValue, 4),
                ])));
        }
        foreach (var dataset in Models.SelectMany(m => m.Transfer).Select(t => t.Dataset).Distinct())
        {
            var scored = Models.Select(m => (m.Name, Score: m.Transfer.Single(t => t.Dataset == dataset))).ToArray();
            var classes = scored[0].Score.Recall.Keys.ToArray();
            section.AppendLine();
            section.AppendLine($"Beyond {Name}: every face of {dataset} whose class the models know ({scored[0].Score.Faces} faces):");
            section.AppendLine();
            section.Append(Reporting.Markdown.Table(["model", "accuracy", "mirror-averaged", .. ViewsColumn(ViewsHeading), "macro-F1", .. classes.Select(c => $"recall {c}")],
                scored.Select(s => (IReadOnlyList<string>)
                [
                    s.Name, Reporting.Markdown.Percent(s.Score.Accuracy), Reporting.Markdown.Percent(s.Score.MirroredAccuracy),
                    .. ViewsColumn(s.Score.ViewsAccuracy), Reporting.Markdown.Percent(s.Score.MacroF1),
                    .. classes.Select(c => Reporting.Markdown.Percent(s.Score.Recall.GetValueOrDefault(c), 1)),
                ])));
        }
        foreach (var m in Models)
        {
            section.AppendLine();
            section.AppendLine(Reporting.Markdown.Image($"confusion {m.Name}", $"{figures}/{m.ConfusionFigure}"));
        }
        return section.ToString();
    }

    internal string ViewsHeading => Views is null ? "" : $"{Views.Count} views";

    /// <summary>The views column's cell, or none when the scoreboard reads no more views.</summary>
    internal string[] ViewsColumn(string cell) => Views is null ? [] : [cell];

    /// <summary>The views column's cell for an accuracy read over the views, or none.</summary>
    internal string[] ViewsColumn(double? accuracy) => ViewsColumn(accuracy is { } a ? Reporting.Markdown.Percent(a) : "");

    private static string ViewsText(TestTimeViews views) =>
        string.Join(", ", new[] { "as it is", views.Mirror ? "mirrored" : null, views.Shift > 0 ? $"moved {views.Shift} px left, right, up and down{(views.Mirror ? " (each also mirrored)" : "")}" : null }.OfType<string>());
}
