using System.ComponentModel;
using System.Text.Json;
using Fersnet.Lab.Benchmarks;
using Fersnet.Lab.Reporting;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet detect-eval</c>: face detection against reference boxes, photos/s end to end and faces/s on crops.</summary>
public sealed class DetectEvalCommand(IAnsiConsole console) : Command<DetectEvalCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--photos <DIR>")]
        [Description("Folder with faces.json (reference boxes) and its photos (default ../shared/photos).")]
        public string Photos { get; init; } = Path.Combine("..", "shared", "photos");

        [CommandOption("--crops <DIR>")]
        [Description("Folder of 48x48 face crops for the faces/s figure (default: FER2013's PrivateTest crops under ../shared/data/fer2013/test).")]
        public string Crops { get; init; } = Path.Combine("..", "shared", "data", "fer2013", "test");

        [CommandOption("--crop-count <N>")]
        [Description("How many crops to time (default 1,024).")]
        public int CropCount { get; init; } = 1024;

        [CommandOption("--checkpoint <FILE>")]
        [Description("Expression model (default: the bundled one).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--json <FILE>")]
        [Description("Also write the figures as JSON (e.g. docs/results/photos.json).")]
        public string? Json { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Write the figures as a generated section of this notebook (docs/RESULTS.md).")]
        public string? Notebook { get; init; }

        public override ValidationResult Validate() => CropCount < 1 ? ValidationResult.Error("--crop-count must be positive") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string references = Path.Combine(settings.Photos, "faces.json");
        if (!File.Exists(references)) { console.Profile.Out.Writer.WriteLine($"error: {references}: no such file"); return 1; }
        var crops = Directory.Exists(settings.Crops)
            ? Directory.EnumerateFiles(settings.Crops, "PrivateTest_*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(settings.CropCount).ToList()
            : [];
        if (crops.Count == 0) { console.Profile.Out.Writer.WriteLine($"error: {settings.Crops}: no PrivateTest_*.jpg face crops"); return 1; }
        PhotoBenchResult result;
        try
        {
            result = PhotoBench.Run(references, crops, settings.Checkpoint);
        }
        catch (CheckpointException e)
        {
            console.Profile.Out.Writer.WriteLine($"error: {e.Message}");
            return 1;
        }
        var out_ = console.Profile.Out.Writer;
        foreach (var score in result.Detection)
            out_.WriteLine($"{score.Detector}: found {score.Found} of {score.References} reference faces (IoU >= {score.IoUThreshold}), {score.FalseBoxes} false boxes");
        out_.WriteLine($"photos end to end: {result.Photos.Median:F1} photos/s ({result.Photos.Min:F1}-{result.Photos.Max:F1}); face crops: {result.Faces.Median:F0} faces/s ({result.Faces.Min:F0}-{result.Faces.Max:F0}), batch {result.FaceBatch}; load {result.LoadAverage}");
        var provenance = Provenance.Current();
        string command = FersnetCli.CommandLine(context);
        if (settings.Json is { } json)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            File.WriteAllText(json, JsonSerializer.Serialize(new { command, provenance = provenance.ToString(), result }, Fersnet.Serialization.FersnetJson.Indented));
        }
        if (settings.Notebook is { } notebook) Notebook.ReplaceSection(notebook, "photos-detection-speed", PhotoBench.Section(result, provenance, command));
        return 0;
    }
}
