using System.ComponentModel;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary>
/// <c>fersnet export</c>: a checkpoint's weights alone (model, and discriminator when the run trained one) in a new
/// file, without what only a resume needs. Exit 0: written; 1: the checkpoint cannot be used; 2: usage error.
/// </summary>
public sealed class ExportCommand(IAnsiConsole console) : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")]
        [Description("A run's checkpoint (last.ckpt or best.ckpt).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("The file to write (e.g. models/my-model.ckpt); it warm-starts training (--init) and serves predict and synthesize, but cannot be resumed.")]
        public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Checkpoint is null || settings.Out is null)
        {
            console.MarkupLine("[red]error:[/] --checkpoint and --out are required");
            return 2;
        }
        if (Path.GetFullPath(settings.Checkpoint) == Path.GetFullPath(settings.Out))
        {
            console.MarkupLine("[red]error:[/] --out must differ from --checkpoint");
            return 2;
        }
        try
        {
            var kept = Training.Checkpoint.Export(settings.Checkpoint, settings.Out);
            long before = new FileInfo(settings.Checkpoint).Length, after = new FileInfo(settings.Out).Length;
            console.MarkupLineInterpolated($"{settings.Out}: {string.Join(" and ", kept)} weights of {settings.Checkpoint} ({after / 1e6:F1} MB, was {before / 1e6:F1} MB)");
            return 0;
        }
        catch (Exception e) when (e is CheckpointException or IOException or UnauthorizedAccessException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}
