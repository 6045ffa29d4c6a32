using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Lab.Experiments;
using Fersnet.Lab.Reporting;
using Fersnet.Models;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet scoreboard</c>: trained models on a dataset's fixed test splits, paired image by image.</summary>
public sealed class ScoreboardCommand(IAnsiConsole console) : Command<ScoreboardCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--data <DIR>")]
        [Description("Dataset with named test splits (FER2013).")]
        public string Data { get; init; } = "";

        [CommandOption("--model <NAME=CHECKPOINT>")]
        [Description("A model to score, as name=path (repeatable).")]
        public string[] Models { get; init; } = [];

        [CommandOption("--out <DIR>")]
        [Description("Folder for the confusion matrices.")]
        public string Out { get; init; } = "";

        [CommandOption("--json <FILE>")]
        [Description("Scoreboard as JSON (e.g. docs/results/fer2013.json).")]
        public string? Json { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Lab notebook to update with a generated section.")]
        public string? Notebook { get; init; }

        [CommandOption("--transfer <NAME=DIR>")]
        [Description("Also score every model on all faces of another dataset whose classes it knows, e.g. ckplus=../shared/data/ckplus48 (repeatable).")]
        public string[] Transfer { get; init; } = [];

        [CommandOption("--card <NAME=FILE>")]
        [Description("Write a model card (Markdown) for the named model, e.g. single=models/fer2013-single.md (repeatable).")]
        public string[] Cards { get; init; } = [];

        [CommandOption("--ensemble <NAME=MODELS>")]
        [Description("An ensemble to score, as name=model1+model2+… (--model names; repeatable): its members are chosen among them on the selection split alone (greedy forward selection), and the mean of their probabilities is scored like a model.")]
        public string[] Ensembles { get; init; } = [];

        [CommandOption("--shift <PIXELS>")]
        [Description("Also read every model's faces (report split and transfer sets) as they are, mirrored and moved this many pixels left, right, up and down (each also mirrored: 10 views), and report that accuracy beside the plain and mirror-averaged ones. 0: not (default).")]
        public int Shift { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("Name of the section (default: fer2013).")]
        public string Name { get; init; } = "fer2013";

        public override ValidationResult Validate() =>
            Data.Length == 0 || Out.Length == 0 || Models.Length == 0 ? ValidationResult.Error("--data, --out and at least one --model name=checkpoint are required")
            : Models.FirstOrDefault(m => m.IndexOf('=') is <= 0) is { } bad ? ValidationResult.Error($"--model '{bad}': expected name=checkpoint")
            : Transfer.FirstOrDefault(t => t.IndexOf('=') is <= 0) is { } other ? ValidationResult.Error($"--transfer '{other}': expected name=folder")
            : Ensembles.FirstOrDefault(e => e.IndexOf('=') is <= 0 || !e[(e.IndexOf('=') + 1)..].Split('+').All(IsModelName)) is { } ensemble
                ? ValidationResult.Error($"--ensemble '{ensemble}': expected name=model1+model2 naming --model names")
            : Shift < 0 ? ValidationResult.Error("--shift must be 0 or more pixels")
            : Cards.FirstOrDefault(c => c.IndexOf('=') is <= 0 || !IsModelName(c[..c.IndexOf('=')])) is { } card
                ? ValidationResult.Error($"--card '{card}': expected name=file naming one of the --model names")
            : ValidationResult.Success();

        /// <summary>Whether <paramref name="name"/> is the name of one of the --model options.</summary>
        private bool IsModelName(string name) => Models.Any(m => m.StartsWith(name + "=", StringComparison.Ordinal));
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        static (string, string) Pair(string option) => (option[..option.IndexOf('=')], option[(option.IndexOf('=') + 1)..]);
        // The figures folder as a Markdown link from a document in the given folder.
        string FiguresFrom(string folder) => Path.GetRelativePath(folder, settings.Out).Replace('\\', '/');
        var models = settings.Models.Select(Pair).ToArray();
        try
        {
            var board = Scoreboard.Score(settings.Name, FersnetCli.CommandLine(context), settings.Data, models, settings.Out,
                log: line => console.MarkupLineInterpolated($"{line}"), transfer: [.. settings.Transfer.Select(Pair)],
                ensembles: [.. settings.Ensembles.Select(Pair).Select(e => (e.Item1, (IReadOnlyList<string>)e.Item2.Split('+')))],
                views: settings.Shift > 0 ? new TestTimeViews(Mirror: true, settings.Shift) : null);
            if (settings.Json is { } json) board.WriteJson(json);
            if (settings.Notebook is { } notebook)
            {
                string figures = FiguresFrom(Path.GetDirectoryName(Path.GetFullPath(notebook))!);
                Notebook.ReplaceSection(notebook, settings.Name, board.Markdown(figures));
            }
            foreach (var card in settings.Cards)
            {
                var (name, file) = Pair(card);
                string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
                Directory.CreateDirectory(folder);
                File.WriteAllText(file, ModelCard.Render(board, board.Models.Single(m => m.Name == name), FiguresFrom(folder)));
                console.MarkupLineInterpolated($"model card: {file}");
            }
            console.MarkupLineInterpolated($"best on {board.SelectionSplit}: [bold]{board.Best}[/]");
            foreach (var c in board.Comparisons)
                console.MarkupLineInterpolated($"{c.First} vs {c.Second}: {PairedComparison.SignedPoints(c.Test.Difference)} points; only {c.First} right on {c.Test.OnlyFirstRight} faces, only {c.Second} on {c.Test.OnlySecondRight}; McNemar p = {c.Test.PValue:G3}");
            return 0;
        }
        catch (Exception e) when (e is DatasetException or CheckpointException or ArgumentException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }
}
