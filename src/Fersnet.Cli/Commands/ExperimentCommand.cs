using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Models;
using Fersnet.Runtime;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using Fersnet.Lab.Experiments;

namespace Fersnet.Cli.Commands;

/// <summary>
/// <c>fersnet experiment</c>: the paper's ablation as one resumable command (subject-independent k-fold, every
/// variant on every fold with the same seed and budget), with its report.
/// </summary>
public sealed class ExperimentCommand(IAnsiConsole console) : Command<ExperimentCommand.Settings>
{
    public sealed class Settings : TrainingSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("Dataset with subjects (CK+, JAFFE) or any class-folder dataset (grouped per image).")]
        public string Data { get; init; } = "";

        [CommandOption("--folds <K>")]
        public int Folds { get; init; } = 10;

        [CommandOption("--variants <LIST>")]
        [Description("Comma-separated: single, hard, fersnet, fersnet+synth (default: the first three). fersnet+synth is FERSNet fine-tuned on its own synthetic faces: every training face re-drawn with each other expression; fersnet+tune, its control, the same fine-tuning on the real faces alone for as many steps.")]
        public string Variants { get; init; } = "single,hard,fersnet";

        [CommandOption("--synthetic-epochs <N>")]
        [Description("fersnet+synth: epochs of the recognition fine-tuning on real + synthetic faces (default 5; fersnet+tune runs as many steps).")]
        public int SyntheticEpochs { get; init; } = new FineTune().Epochs;

        [CommandOption("--synthetic-lr-scale <FACTOR>")]
        [Description("fersnet+synth, fersnet+tune: peak learning rate of that fine-tuning as a share of the first training's (default 0.25).")]
        public double SyntheticLearningRateScale { get; init; } = new FineTune().LearningRateScale;

        [CommandOption("--out <DIR>")]
        [Description("Folder for the figures, and by default the results and report files.")]
        public string Out { get; init; } = "";

        [CommandOption("--results <FILE>")]
        [Description("JSON-lines file of finished (variant, fold) runs (default <out>/results.jsonl). Rerunning skips what it holds.")]
        public string? Results { get; init; }

        [CommandOption("--report <FILE>")]
        [Description("JSON summary (default <out>/report.json).")]
        public string? Report { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Lab notebook to update with a generated section (e.g. docs/RESULTS.md).")]
        public string? Notebook { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("Name of the experiment in the notebook (default: the --out folder's name).")]
        public string? Name { get; init; }

        [CommandOption("--val-split <FRACTION>")]
        [Description("Share of each fold's training subjects held out for model selection (default 0.1; 0: none, every training subject trains and selection falls back to training accuracy, or to the last epoch with --select-from 1).")]
        public double ValidationSplit { get; init; } = 0.1;

        [CommandOption("--train-seed <N>")]
        [Description("Seed of the trainings alone (initial weights, shuffling, augmentation); the folds and validation subjects stay those of --seed. Repeats an experiment on the same test images with a new draw of the training noise.")]
        public int? TrainSeed { get; init; }

        [CommandOption("--subjects <N>")]
        [Description("Use only the first N subjects (quick experiments and tests).")]
        public int? Subjects { get; init; }

        [CommandOption("--max-runs <N>")]
        [Description("Stop after N (variant, fold) trainings; rerun to continue.")]
        public int MaxRuns { get; init; } = int.MaxValue;

        [CommandOption("--time-limit <MINUTES>")]
        [Description("Start no new training after this many minutes; rerun to continue.")]
        public double? TimeLimit { get; init; }

        [CommandOption("--compare <RESULTS>")]
        [Description("Results file of another experiment on the same folds: the report pairs each variant with its variants fold by fold (repeatable). Files joined with '+' (a.jsonl+b.jsonl) are training-seed repetitions of one experiment, averaged fold by fold first.")]
        public string[] Compare { get; init; } = [];

        [CommandOption("--report-only")]
        [Description("Only rewrite the report from the results file.")]
        public bool ReportOnly { get; init; }

        [CommandOption("--only <VARIANT:FOLD>")]
        [Description("Run this one (variant, fold) job alone, if it is not on file yet, and append its result (repeatable: --only single:1 --only hard:1). Folds are numbered from 1, as the log numbers them (the results file's 'fold' field counts from 0). Writes no report: run --report-only once every job is done. Jobs of one experiment may run at the same time, on one machine or a cluster's nodes sharing the results file (scripts/slurm/submit.sh).")]
        public string[] Only { get; init; } = [];

        [CommandOption("--list-jobs")]
        [Description("Print the jobs not on file yet, one --only value (variant:fold) a line, and stop.")]
        public bool ListJobs { get; init; }

        public override ValidationResult Validate() =>
            base.Validate() is { Successful: false } shared ? shared
            : Data.Length == 0 || Out.Length == 0 ? ValidationResult.Error("--data and --out are required")
            : ValidationSplit is < 0 or >= 1 ? ValidationResult.Error("--val-split must be in [0, 1)")
            : ValidationResult.Success();
    }

    /// <summary>Options that split an experiment over sittings without changing its figures; not part of its recorded command.</summary>
    private static readonly Dictionary<string, int> RunControl = new()
    {
        ["--max-runs"] = 1, ["--time-limit"] = 1, ["--report-only"] = 0, ["--only"] = 1, ["--list-jobs"] = 0,
    };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string results = settings.Results ?? Path.Combine(settings.Out, "results.jsonl");
        string report = settings.Report ?? Path.Combine(settings.Out, "report.json");
        string name = settings.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(settings.Out)));
        try
        {
            var fineTune = new FineTune(settings.SyntheticEpochs, settings.SyntheticLearningRateScale);
            fineTune.Validate();
            var variants = settings.Variants.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => Variant.Parse(v, fineTune)).ToArray();
            var only = ParseOnly(settings, variants);
            if (only is { Error: { } usage })
            {
                console.MarkupLineInterpolated($"[red]error:[/] {usage}");
                return 2;
            }
            var train = settings.TrainSeed is { } trainSeed ? settings.ToTrainConfig() with { Seed = trainSeed } : settings.ToTrainConfig();
            var labels = DatasetReader.Read(settings.Data).Labels;
            // Each variant sets its own kind (ExperimentConfig.ModelFor): the template's is a placeholder.
            var model = settings.ToModelConfig(ModelKind.Fersnet, labels.Count);
            var config = new ExperimentConfig(Path.GetFullPath(settings.Data), settings.Folds, settings.Seed, model, settings.ValidationSplit, settings.Subjects, train);
            Directory.CreateDirectory(settings.Out);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(results))!);
            string scratch = Path.Combine("runs", "experiments", name);
            var experiment = new Experiment(config, variants, results, scratch) { FigureDirectory = settings.Out, Device = ComputeDevice.Parse(settings.Device) };
            experiment.Log += line => console.MarkupLineInterpolated($"{DateTime.Now:HH:mm:ss} {line}");
            experiment.TrainingStarted += (trainer, variant, fold) =>
                trainer.EpochCompleted += m => console.MarkupLineInterpolated(
                    $"  {variant.Name} fold {fold + 1} epoch {m.Epoch}/{trainer.Config.Epochs}: train {m.TrainAccuracy * 100:F1}% {(m.ValidationAccuracy is { } v ? $"val {v * 100:F1}%" : "no validation")} {m.ImagesPerSecond:F0} img/s");

            if (settings.ListJobs)
            {
                foreach (var (variant, fold) in experiment.PendingJobs().Where(j => only.Jobs is null || only.Jobs.Contains((j.Variant.Name, j.Fold))))
                    console.WriteLine($"{variant.Name}:{fold + 1}");
                return 0;
            }
            if (!settings.ReportOnly)
            {
                int done = experiment.ReadResults().Count(r => variants.Any(v => v.Name == r.Variant));
                console.MarkupLineInterpolated($"{name}: {variants.Length} variants x {config.Folds} folds, {done} done, results in {results}");
                var limit = settings.TimeLimit is { } minutes ? TimeSpan.FromMinutes(minutes) : (TimeSpan?)null;
                int ran = experiment.Run(settings.MaxRuns, limit, cancellationToken, only.Jobs);
                console.MarkupLineInterpolated($"{ran} training(s) finished in this run");
                if (only.Jobs is not null) return 0;   // one job of many: the report waits for them all (--report-only)
            }
            string command = FersnetCli.CommandLine(context, RunControl);
            var document = ExperimentReport.Write(name, command, experiment, labels, report, settings.Out, settings.Notebook, settings.Compare);
            Render(document);
            return 0;
        }
        catch (Exception e) when (e is DatasetException or ArgumentException or InvalidDataException or CheckpointException or DeviceUnavailableException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        catch (NonFiniteException e)
        {
            console.MarkupLineInterpolated($"[red]training stopped:[/] {e.Message}");
            return 2;
        }
    }

    /// <summary>The --only jobs as (variant name, fold from 0); <c>Jobs</c> null without --only, <c>Error</c> set for a bad value.</summary>
    private static (IReadOnlyCollection<(string Variant, int Fold)>? Jobs, string? Error) ParseOnly(Settings settings, IReadOnlyList<Variant> variants)
    {
        if (settings.Only.Length == 0) return (null, null);
        if (settings.ReportOnly) return (null, "--only runs trainings and --report-only runs none: give one of them");
        var jobs = new HashSet<(string, int)>();
        foreach (var value in settings.Only)
        {
            int colon = value.LastIndexOf(':');
            string name = colon < 0 ? "" : value[..colon].Trim().ToLowerInvariant();
            if (colon < 0 || !int.TryParse(value[(colon + 1)..], out int fold))
                return (null, $"--only '{value}': expected <variant>:<fold>, e.g. {variants[0].Name}:1");
            if (variants.All(v => v.Name != name))
                return (null, $"--only '{value}': '{name}' is not a variant of this experiment ({string.Join(", ", variants.Select(v => v.Name))})");
            if (fold < 1 || fold > settings.Folds)
                return (null, $"--only '{value}': folds are numbered 1 to {settings.Folds}");
            jobs.Add((name, fold - 1));
        }
        return (jobs, null);
    }

    private void Render(ExperimentReport.Document document)
    {
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{document.Name}{(document.Complete ? "" : " (in progress)")}"))
            .AddColumns("variant", "folds", "mean ± std", "mirror-averaged", "pooled", "macro-F1", "paper");
        foreach (var s in document.Variants.Values)
            table.AddRow(s.Variant, $"{s.Folds}/{document.Config.Folds}", $"{s.MeanAccuracy * 100:F2} ± {s.StdAccuracy * 100:F2}",
                s.MirroredMeanAccuracy is { } mirrored ? $"{mirrored * 100:F2}" : "",
                $"{s.PooledAccuracy * 100:F2}", $"{s.MacroF1 * 100:F2}",
                ExperimentReport.PaperCkPlus.TryGetValue(s.Variant, out var p) ? $"{p:F2}" : "");
        console.Write(table);
        foreach (var c in document.Comparisons)
            console.MarkupLineInterpolated($"{c.VariantLabel} vs {c.BaselineLabel} ({c.BaselineSource}), {c.Folds.Length} paired folds: {c.MeanAccuracy * 100:F2} vs {c.BaselineMeanAccuracy * 100:F2}, difference {c.MeanDifferenceText} ± {c.StdDifference * 100:F2} points (95% interval {c.Interval95Text}), wins/ties/losses {c.Wins}/{c.Ties}/{c.Losses}");
    }
}
