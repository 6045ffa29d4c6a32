using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Synthesis;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary>
/// <c>fersnet synthesize</c>: re-draws face images with chosen expressions (one PNG per face and target, a grid per
/// face, manifest.jsonl). Exit 0: all written; 1: some input could not be read (each named on one line) or the model
/// could not be loaded; 2: usage error.
/// </summary>
public sealed class SynthesizeCommand(IAnsiConsole console) : Command<SynthesizeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("A fersnet or hard checkpoint (default: the bundled synthesis model, whose card is in models/README.md).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--input <PATH>")]
        [Description("A face image, or a folder of them (its image files, not recursive).")]
        public string? Input { get; init; }

        [CommandOption("--to <EXPRESSION>")]
        [Description("The expression to draw (e.g. happiness, surprise, sad) or all (default: every expression the model knows).")]
        public string To { get; init; } = "all";

        [CommandOption("--out <DIR>")]
        [Description("Output folder: <name>_<expression>.png, <name>_grid.png, manifest.jsonl.")]
        public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Input is null || settings.Out is null) return Usage("--input and --out are required");
        IReadOnlyList<string> inputs;
        try { inputs = SynthesisFiles.Inputs(settings.Input); }
        catch (FileNotFoundException e) { return Usage(e.Message); }
        if (inputs.Count == 0) return Usage($"{settings.Input}: the folder holds no image files");

        ExpressionSynthesizer synthesizer;
        try { synthesizer = ExpressionSynthesizer.Load(settings.Checkpoint); }
        catch (Exception e) when (e is CheckpointException or ArgumentException or FileNotFoundException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        using (synthesizer)
        {
            IReadOnlyList<Expression> targets;
            if (string.Equals(settings.To, "all", StringComparison.OrdinalIgnoreCase)) targets = synthesizer.Labels.Classes;
            else if (Expressions.TryParse(settings.To, out var target) && synthesizer.Labels.Classes.Contains(target)) targets = [target];
            else return Usage($"--to {settings.To}: this model draws {string.Join(", ", synthesizer.Labels.Names)} (or all)");

            var result = SynthesisFiles.Write(synthesizer, inputs, targets, settings.Out,
                failed: skipped => console.MarkupLineInterpolated($"[red]skipped[/] {skipped.Path}: {skipped.Reason}"));
            int faces = inputs.Count - result.Failed.Count;
            console.MarkupLineInterpolated($"{faces} face(s) x {targets.Count} expression(s): {result.Written.Count} images and {SynthesisFiles.ManifestName} in {settings.Out} ({result.Failed.Count} skipped)");
            return result.Failed.Count > 0 ? 1 : 0;
        }
    }

    private int Usage(string problem)
    {
        console.MarkupLineInterpolated($"[red]error:[/] {problem}");
        return 2;
    }
}
