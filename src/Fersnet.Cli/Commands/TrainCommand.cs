using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Lab.Reporting;
using Fersnet.Runtime;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet train</c>: trains one model into a run folder (checkpoints, metrics.jsonl, curves.png).</summary>
public sealed class TrainCommand(IAnsiConsole console) : Command<TrainCommand.Settings>
{
    public sealed class Settings : TrainingSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("Training dataset (folder or fer2013.csv). Not needed with --resume.")]
        public string? Data { get; init; }

        [CommandOption("--model <KIND>")]
        [Description("fersnet (default), hard or single.")]
        public string Model { get; init; } = "fersnet";

        [CommandOption("--val <DIR>")]
        [Description("Separate validation dataset. FER2013 validates on PublicTest by default.")]
        public string? Validation { get; init; }

        [CommandOption("--val-split <FRACTION>")]
        [Description("Otherwise: share of training subjects held out for validation (default 0.1; 0: none).")]
        public double ValidationSplit { get; init; } = 0.1;

        [CommandOption("--split-seed <N>")]
        [Description("Seed of the --val-split subject hold-out (default: --seed). With it, --seed repeats a training on the same held-out subjects with a new draw of the training noise.")]
        public int? SplitSeed { get; init; }

        [CommandOption("--train-splits <NAMES>")]
        [Description("Train on these named splits, comma-separated (FER2013: Training, PublicTest, PrivateTest), instead of the dataset's default split.")]
        public string? TrainSplits { get; init; }

        [CommandOption("--val-splits <NAMES>")]
        [Description("With --train-splits: select models on these named splits (default: none).")]
        public string? ValidationSplits { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Run folder (default runs/<model>-<date>).")]
        public string? Out { get; init; }

        [CommandOption("--resume")]
        [Description("Continue the run in --out from its last checkpoint.")]
        public bool Resume { get; init; }

        public override ValidationResult Validate() =>
            base.Validate() is { Successful: false } shared ? shared
            : !Resume && Data is null ? ValidationResult.Error("--data is required (or --resume with --out)")
            : Resume && Out is null ? ValidationResult.Error("--resume needs --out <run folder>")
            : ValidationSplits is not null && TrainSplits is null ? ValidationResult.Error("--val-splits needs --train-splits")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string runDirectory = settings.Out ?? Path.Combine("runs", $"{settings.Model}-{DateTime.Now:yyyyMMdd-HHmmss}");
        Trainer trainer;
        try
        {
            trainer = settings.Resume ? ResumeTrainer(settings, runDirectory) : NewTrainer(settings, runDirectory);
        }
        catch (Exception e) when (e is DatasetException or CheckpointException or ArgumentException or DeviceUnavailableException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }

        using (trainer)
        {
            if (trainer.CompletedEpochs >= trainer.Config.Epochs)
            {
                console.MarkupLineInterpolated($"[yellow]{runDirectory} has already trained {trainer.CompletedEpochs} epochs; pass a larger --epochs to extend it.[/]");
                return 0;
            }
            var data = trainer.Data!;
            console.MarkupLineInterpolated($"loading [bold]{data.Path}[/] at {trainer.Model.Config.ImageSize}px…");
            using var sets = TrainingData.Load(data, trainer.Model.Config.ImageSize, trainer.Labels);
            console.MarkupLineInterpolated($"train {sets.Train.Count} images, validation {sets.Validation?.Count ?? 0}, skipped {sets.Skipped.Count}; classes: {string.Join(", ", trainer.Labels.Names)}");
            foreach (var skip in sets.Skipped.Take(10)) console.MarkupLineInterpolated($"  [yellow]skipped[/] {skip.Path}: {skip.Reason}");
            if (sets.Validation is not null && QualityCheck.SharpnessMismatch(sets.Train, sets.Validation) is { } warning)
                console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
            console.MarkupLineInterpolated($"model {trainer.Model.Config.Kind} ({trainer.Model.parameters().Sum(p => p.numel()) / 1e6:F2}M parameters), run folder [bold]{runDirectory}[/], from epoch {trainer.CompletedEpochs + 1} to {trainer.Config.Epochs}");
            if (trainer.WarmStarted is { } warm)
                console.MarkupLineInterpolated($"warm start from [bold]{warm.Path}[/]: {warm.Tensors} tensors{(warm.Discriminator ? " (discriminator too)" : "")}{(warm.FreshDecoder ? "; the synthesis decoder is of another kind and starts fresh" : "")}{(warm.UntrainedLabels.Count > 0 ? $"; new expressions start untrained: {string.Join(", ", warm.UntrainedLabels.Select(e => e.Name()))}" : "")}");

            try
            {
                TrainWithProgress(trainer, sets, runDirectory, cancellationToken);
            }
            catch (NonFiniteException e)
            {
                console.MarkupLineInterpolated($"[red]training stopped:[/] {e.Message}");
                return 2;
            }
            // Without validation data the trainer selects on training accuracy; say which figure this is.
            string selectedOn = sets.Validation is null ? "training accuracy (no validation data)" : "validation accuracy";
            console.MarkupLineInterpolated($"best {selectedOn} {trainer.BestMetric * 100:F2}% at epoch {trainer.BestEpoch}; checkpoints in {runDirectory}");
            return 0;
        }
    }

    private static Trainer NewTrainer(Settings settings, string runDirectory)
    {
        if (File.Exists(Path.Combine(runDirectory, RunFiles.LastCheckpoint)))
            throw new ArgumentException($"{runDirectory} already holds a run; pass --resume to continue it or choose another --out");
        var data = new DataConfig(Path.GetFullPath(settings.Data!), settings.Validation is null ? null : Path.GetFullPath(settings.Validation), settings.ValidationSplit, settings.SplitSeed ?? settings.Seed,
            SplitList(settings.TrainSplits), SplitList(settings.ValidationSplits));
        var labels = DatasetReader.Read(data.Path).Labels;
        var model = settings.ToModelConfig(ModelFactory.ParseKind(settings.Model), labels.Count);
        var config = settings.ToTrainConfig();
        return Trainer.Create(model, config, labels, data, ComputeDevice.Parse(settings.Device));
    }

    private static string[]? SplitList(string? names) =>
        names?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Trainer ResumeTrainer(Settings settings, string runDirectory) =>
        Trainer.Resume(Path.Combine(runDirectory, RunFiles.LastCheckpoint), config => settings.Epochs is { } epochs ? config with { Epochs = epochs } : config,
            ComputeDevice.Parse(settings.Device));

    private void TrainWithProgress(Trainer trainer, TrainingData sets, string runDirectory, CancellationToken cancellationToken)
    {
        // Plain lines rather than a live bar: the same at 80 or 120 columns and in a log file (TrainingProgress).
        var progress = new TrainingProgress(console.Profile.Out.Writer, trainer.Config.Epochs);
        trainer.BatchCompleted += progress.Batch;
        // Raised on this thread after each epoch's checkpoint: the command reports it and draws the curves.
        trainer.EpochCompleted += m =>
        {
            ReportEpoch(m);
            Plots.TrainingCurves(trainer.History, Path.Combine(runDirectory, RunFiles.Curves));
        };
        trainer.Fit(sets.Train, sets.Validation, runDirectory, cancellationToken);
    }

    private void ReportEpoch(EpochMetrics m)
    {
        string validation = m.ValidationAccuracy is { } acc ? $"val acc {acc * 100:F2}% loss {m.ValidationLoss:F3} macro-F1 {m.ValidationMacroF1 * 100:F1}" : "no validation";
        string gates = m.MeanGates is { Count: > 0 } g ? " gates z " + string.Join(" ", g.Select(v => v.ToString("F2"))) : "";
        console.Profile.Out.Writer.WriteLine($"epoch {m.Epoch}: train acc {m.TrainAccuracy * 100:F1}% fer {m.TrainLoss:F3}, {validation}, {m.ImagesPerSecond:F0} img/s, {m.Seconds:F0}s{gates}");
    }
}
