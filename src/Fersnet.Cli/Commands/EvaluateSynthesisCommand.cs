using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Inference;
using Fersnet.Lab.Reporting;
using Fersnet.Lab.Synthesis;
using Fersnet.Synthesis;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary>
/// <c>fersnet evaluate-synthesis</c>: measures a synthesis model on held-out subjects (expression score by an independent
/// classifier, distance to the subject's real face with the target beside two baselines, Fréchet distance), writes the
/// JSON, grids and a notebook section. Exit 1 when a model or the data cannot be used, or a model trained on a test subject.
/// </summary>
public sealed class EvaluateSynthesisCommand(IAnsiConsole console) : Command<EvaluateSynthesisCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("The synthesis model (fersnet or hard).")]
        public string Checkpoint { get; init; } = "";

        [CommandOption("--classifier <FILE>")]
        [Description("An independently trained recognition model that judges the re-drawn faces (expressions matched by name).")]
        public string Classifier { get; init; } = "";

        [CommandOption("--data <DIR>")]
        [Description("A dataset with subjects (CK+).")]
        public string Data { get; init; } = "";

        [CommandOption("--holdout <FRACTION>")]
        [Description("Share of the subjects held out as test subjects (default 0.2: train the models with --val-split 0.2 and the same seed).")]
        public double Holdout { get; init; } = 0.2;

        [CommandOption("--split-seed <N>")]
        [Description("Seed of the hold-out (default 1, train's --seed).")]
        public int SplitSeed { get; init; } = 1;

        [CommandOption("--before <FILE>")]
        [Description("Another synthesis model (e.g. before fine-tuning, or the first decoder) whose grid of the same held-out faces is shown beside (no figures).")]
        public string? Before { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Where the grids go (default: docs/results/synthesis).")]
        public string Out { get; init; } = "docs/results/synthesis";

        [CommandOption("--json <FILE>")]
        [Description("Write the figures as JSON (the committed run: docs/results/synthesis.json).")]
        public string? Json { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Write a generated section into this notebook (docs/RESULTS.md).")]
        public string? Notebook { get; init; }

        [CommandOption("--face-judge <DIR>")]
        [Description("Also have independent face models judge the re-drawn faces: face-api.js's recognition and expression nets, run by Node.js from this folder (tools/face-judge; its install.sh, run first, installs Node.js and the nets when missing).")]
        public string? FaceJudge { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("The notebook section's name (default synthesis).")]
        public string Name { get; init; } = "synthesis";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Checkpoint.Length == 0 || settings.Classifier.Length == 0 || settings.Data.Length == 0)
        {
            console.MarkupLine("[red]error:[/] --checkpoint, --classifier and --data are required");
            return 2;
        }
        if (settings.Holdout is <= 0 or >= 1)
        {
            console.MarkupLine("[red]error:[/] --holdout must be between 0 and 1");
            return 2;
        }
        try
        {
            using var generator = TrainedModel.Load(settings.Checkpoint);
            if (!generator.Model.Config.HasSynthesis) throw new CheckpointException(settings.Checkpoint, $"a {generator.Model.Config.Kind} model has no synthesis branch");
            using var classifier = TrainedModel.Load(settings.Classifier);
            var scan = DatasetReader.Read(settings.Data);
            using var faces = FaceDataLoader.Load(scan, generator.Model.Config.ImageSize, generator.Labels);
            var (train, test) = Splits.GroupHoldout(faces.Samples, Enumerable.Range(0, faces.Count).ToArray(), settings.Holdout, settings.SplitSeed);
            var testSubjects = test.Select(i => Splits.GroupOf(faces.Samples[i])).ToHashSet();
            foreach (var model in new[] { generator, classifier })
                if (TrainedOn(model, scan, testSubjects) is { } seen)
                    throw new CheckpointException(model.Path, $"trained on {seen.Count} of the {testSubjects.Count} test subjects (e.g. {seen[0]}); train with --val-split {settings.Holdout} --seed {settings.SplitSeed} or pass its hold-out as --holdout/--split-seed");

            console.MarkupLineInterpolated($"re-drawing {test.Count} faces of {testSubjects.Count} held-out subjects with every other expression…");
            using var redrawn = SynthesisEvaluation.Redraw(generator.Model, faces, test);
            var metrics = SynthesisEvaluation.Run(redrawn, classifier.Model, classifier.Labels, faces, test, train);
            FaceJudgement? judgement = null;
            if (settings.FaceJudge is { } judge)
            {
                console.MarkupLineInterpolated($"face-api.js's nets judge {test.Count} real and {redrawn.Pairs.Count} re-drawn faces…");
                judgement = FaceApiJudge.Run(judge, faces, test, redrawn);
            }

            Directory.CreateDirectory(settings.Out);
            var grids = new List<(string, string)>();
            using (var held = faces.Subset(test))
            {
                string after = Path.Combine(settings.Out, "grid.png");
                SynthesisGrid.Write(generator.Model, held, after);
                if (settings.Before is { } beforePath)
                {
                    using var before = TrainedModel.Load(beforePath);
                    string beforeGrid = Path.Combine(settings.Out, "grid-before.png");
                    SynthesisGrid.Write(before.Model, held, beforeGrid);
                    grids.Add(($"Before: `{beforePath}` on the same held-out faces (rows: the first test face of each expression; columns: the real face, then re-drawn with each expression)", Notebook.Link(beforeGrid, settings.Notebook)));
                }
                grids.Add(($"{(settings.Before is null ? "" : "After: ")}`{settings.Checkpoint}` on held-out faces (rows: the first test face of each expression; columns: the real face, then re-drawn with each expression)", Notebook.Link(after, settings.Notebook)));
            }

            var report = new SynthesisReport(settings.Name, FersnetCli.CommandLine(context), settings.Checkpoint, settings.Classifier, settings.Data,
                settings.Holdout, settings.SplitSeed, metrics, grids, Provenance.Current(), judgement);
            if (settings.Json is { } json) report.WriteJson(json);
            if (settings.Notebook is { } notebook) Notebook.ReplaceSection(notebook, settings.Name, report.NotebookSection());
            Render(metrics);
            if (judgement is not null) Render(judgement);
            return 0;
        }
        catch (Exception e) when (e is DatasetException or CheckpointException or ArgumentException or InvalidOperationException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    /// <summary>Test subjects a model's training data held, recomputed from its checkpoint (null: none).</summary>
    private static IReadOnlyList<string>? TrainedOn(TrainedModel model, DatasetScan scan, IReadOnlySet<string> testSubjects)
    {
        var data = model.Header.Data;
        if (data is null || Path.GetFullPath(data.Path).TrimEnd('/') != Path.GetFullPath(scan.Root).TrimEnd('/')) return null;
        var samples = scan.Samples.Where(s => model.Labels.Classes.Contains(s.Label)).ToArray();
        var all = Enumerable.Range(0, samples.Length).ToArray();
        IReadOnlyList<int> trained = data.TrainSplits is { Count: > 0 } splits ? Splits.Named(samples, splits)
            : data.ValidationPath is null && data.ValidationSplit > 0 ? Splits.GroupHoldout(samples, all, data.ValidationSplit, data.SplitSeed).Train
            : all;
        var seen = trained.Select(i => Splits.GroupOf(samples[i])).Where(testSubjects.Contains).Distinct().Order(StringComparer.Ordinal).ToArray();
        return seen.Length == 0 ? null : seen;
    }

    private void Render(FaceJudgement judgement) => console.Write(ConsoleTables.From(SynthesisReport.FaceJudgeTable(judgement)));

    private void Render(SynthesisMetrics m)
    {
        console.Write(ConsoleTables.From(SynthesisReport.ScoreTable(m)));
        console.Write(ConsoleTables.From(SynthesisReport.TruthTable(m)));
        console.MarkupLineInterpolated($"Fréchet distance real vs re-drawn {m.FrechetRedrawn:F2} (real test vs real train {m.FrechetRealTrain:F2}); goals: expression score {(m.ScoreGoalMet ? "met" : "not met")}, closer than baselines {(m.TruthGoalMet ? "met" : "not met")}");
    }
}
