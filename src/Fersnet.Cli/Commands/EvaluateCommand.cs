using System.ComponentModel;
using System.Text.Json;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Inference;
using Fersnet.Models;
using Fersnet.Runtime;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using Fersnet.Lab.Reporting;
using Fersnet.Serialization;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet evaluate</c>: accuracy, macro-F1, per-class recall and precision, confusion matrix of a checkpoint on a dataset.</summary>
public sealed class EvaluateCommand(IAnsiConsole console) : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("A checkpoint written by fersnet train (best.ckpt or last.ckpt).")]
        public string Checkpoint { get; init; } = "";

        [CommandOption("--data <DIR>")]
        [Description("Dataset to evaluate on. FER2013: its PrivateTest split unless --split says otherwise.")]
        public string Data { get; init; } = "";

        [CommandOption("--split <NAME>")]
        [Description("Only the samples of this split (e.g. PrivateTest, PublicTest, test).")]
        public string? Split { get; init; }

        [CommandOption("--mirror")]
        [Description("Average each face's class probabilities with its mirror image's (test-time augmentation, twice the compute).")]
        public bool Mirror { get; init; }

        [CommandOption("--shift <PIXELS>")]
        [Description("Also read each face moved this many pixels left, right, up and down, and average (test-time augmentation, five times the compute; with --mirror each shifted view is mirrored too). 0: not (default).")]
        public int Shift { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu (default), cuda or cuda:N.")]
        public string Device { get; init; } = "cpu";

        [CommandOption("--out <DIR>")]
        [Description("Where to write report.json and confusion.png (default: runs/eval/<checkpoint>-<data>[[-<split>]], never inside models/).")]
        public string? Out { get; init; }

        public override ValidationResult Validate() =>
            Checkpoint.Length == 0 || Data.Length == 0 ? ValidationResult.Error("--checkpoint and --data are required")
            : Shift < 0 ? ValidationResult.Error("--shift must be 0 or more pixels")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        try
        {
            using var model = TrainedModel.Load(settings.Checkpoint, ComputeDevice.Parse(settings.Device));
            var views = new TestTimeViews(settings.Mirror, settings.Shift);
            views.Validate(model.Model.Config.ImageSize);
            var scan = DatasetReader.Read(settings.Data);
            string? split = settings.Split ?? (scan.Layout is DatasetLayout.Fer2013Folders or DatasetLayout.Fer2013Csv ? "PrivateTest" : null);
            if (split is not null)
            {
                scan = scan with { Samples = scan.Samples.Where(s => string.Equals(s.Split, split, StringComparison.OrdinalIgnoreCase)).ToArray() };
                if (scan.Samples.Count == 0) throw new DatasetException(settings.Data, $"has no samples in split '{split}'");
            }
            if (TrainingOverlap.Warning(model.Header, settings.Data, split) is { } overlap)
                console.Profile.Out.Writer.WriteLine($"warning: {overlap}");
            using var set = FaceDataLoader.Load(scan, model.Model.Config.ImageSize, model.Labels);
            var unknown = set.Skipped.Where(s => TrainingOverlap.IsUnknownClass(s.Reason)).ToList();
            var broken = set.Skipped.Where(s => !TrainingOverlap.IsUnknownClass(s.Reason)).ToList();
            foreach (var file in broken) console.Profile.Out.Writer.WriteLine($"skipped: {file.Path}: {file.Reason}");
            foreach (var file in unknown) console.Profile.Out.Writer.WriteLine($"not scored: {file.Path}: {file.Reason}");
            if (unknown.Count > 0)
                console.Profile.Out.Writer.WriteLine($"{unknown.Count} face(s) show an expression the model does not know ({string.Join(", ", model.Labels.Names)}); they are not scored and not counted as broken");
            using var predictions = Evaluator.Predict(model.Model, set, views: views);
            var report = predictions.Report(model.Labels);

            string outDir = settings.Out ?? Path.Combine("runs", "eval",
                $"{Path.GetFileNameWithoutExtension(settings.Checkpoint)}-{Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(settings.Data)))}{(split is null ? "" : "-" + split)}");
            Directory.CreateDirectory(outDir);
            File.WriteAllText(Path.Combine(outDir, "report.json"), JsonSerializer.Serialize(new
            {
                checkpoint = Path.GetFullPath(settings.Checkpoint),
                data = Path.GetFullPath(settings.Data),
                split,
                mirror = settings.Mirror,
                shift = settings.Shift,
                provenance = Provenance.Current(),
                skipped = broken.Select(f => new { path = f.Path, reason = f.Reason }),
                unknownClass = unknown.Count,
                report,
            }, FersnetJson.Indented));
            Plots.ConfusionMatrix(report, Path.Combine(outDir, "confusion.png"));
            Render(report, broken.Count, unknown.Count, outDir);
            return 0;
        }
        catch (Exception e) when (e is DatasetException or CheckpointException or DeviceUnavailableException or ArgumentException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    private void Render(ClassificationReport report, int skipped, int unknown, string outDir)
    {
        console.MarkupLineInterpolated($"[bold]accuracy {report.Accuracy * 100:F2}%[/], macro-F1 {report.MacroF1 * 100:F2}%, {report.Count} images ({skipped} skipped as unreadable{(unknown > 0 ? $", {unknown} of classes the model does not know" : "")})");
        var table = new Table().Border(TableBorder.Rounded).AddColumn("true \\ predicted");
        foreach (var label in report.Labels) table.AddColumn(new TableColumn(label).RightAligned());
        table.AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("precision").RightAligned()).AddColumn(new TableColumn("n").RightAligned());
        for (int r = 0; r < report.Labels.Count; r++)
        {
            var m = report.PerClass[r];
            var cells = new List<string> { report.Labels[r] };
            cells.AddRange(report.Confusion[r].Select((v, c) => c == r ? $"[bold]{v}[/]" : v.ToString()));
            cells.AddRange([$"{m.Recall * 100:F1}%", $"{m.Precision * 100:F1}%", m.Support.ToString()]);
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
        console.MarkupLineInterpolated($"report.json and confusion.png in {outDir}");
    }
}
