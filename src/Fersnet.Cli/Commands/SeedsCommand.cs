using System.ComponentModel;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Imaging;
using Spectre.Console;
using Spectre.Console.Cli;
using Fersnet.Lab.Experiments;
using Fersnet.Lab.Reporting;

namespace Fersnet.Cli.Commands;

/// <summary>
/// <c>fersnet seeds</c>: reads several repetitions of one experiment (results files that differ only in
/// <c>--train-seed</c>) together: per variant the mean over seeds and its spread, and the variants paired fold by fold
/// on their seed-averaged accuracies.
/// </summary>
public sealed class SeedsCommand(IAnsiConsole console) : Command<SeedsCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--results <FILE>")]
        [Description("Results file of one repetition (repeat, at least twice).")]
        public string[] Results { get; init; } = [];

        [CommandOption("--data <DIR>")]
        [Description("The experiments' dataset (for its class names).")]
        public string Data { get; init; } = "";

        [CommandOption("--variants <LIST>")]
        [Description("Comma-separated, in the order of the pairing (default: single,hard,fersnet).")]
        public string Variants { get; init; } = "single,hard,fersnet";

        [CommandOption("--name <NAME>")]
        [Description("Name of the summary in the notebook.")]
        public string Name { get; init; } = "seeds";

        [CommandOption("--json <FILE>")]
        public string? Json { get; init; }

        [CommandOption("--error-grids <DIR>")]
        [Description("Draw each variant's images wrong in every seed into DIR/wrong-every-seed-<variant>.png (linked from the notebook).")]
        public string? ErrorGrids { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Lab notebook to update with a generated section (e.g. docs/RESULTS.md).")]
        public string? Notebook { get; init; }

        public override ValidationResult Validate() =>
            Results.Length < 2 ? ValidationResult.Error("give --results at least twice (one file per training seed)")
            : Data.Length == 0 ? ValidationResult.Error("--data is required")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        try
        {
            var runs = settings.Results.Select(path => (path, Experiment.ReadExistingResultsFile(path, "results file"))).ToArray();
            var scan = DatasetReader.Read(settings.Data);
            var labels = scan.Labels;
            string command = FersnetCli.CommandLine(context);
            var variants = settings.Variants.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var summary = SeedSummary.From(settings.Name, command, runs, variants, labels);
            if (settings.ErrorGrids is { } gridDirectory)
                summary = summary with { ErrorGrids = DrawErrorGrids(summary, scan, gridDirectory, settings.Notebook) };
            if (settings.Json is { } json) summary.WriteJson(json);
            if (settings.Notebook is { } notebook) Notebook.ReplaceSection(notebook, summary.Name, summary.Markdown());

            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(summary.Name))
                .AddColumns("variant", "seeds", "folds", "per seed", "mean ± std between seeds", "pooled");
            foreach (var v in summary.Variants)
                table.AddRow(v.Variant, v.Seeds.ToString(), v.Folds.Length.ToString(), string.Join(", ", v.SeedMeans.Select(a => $"{a * 100:F2}")),
                    $"{v.MeanAccuracy * 100:F2} ± {v.SeedStd * 100:F2}", $"{v.PooledAccuracy * 100:F2}");
            console.Write(table);
            foreach (var c in summary.Comparisons)
                console.MarkupLineInterpolated($"{c.VariantLabel} vs {c.BaselineLabel}, seed-averaged, {c.Folds.Length} paired folds: difference {c.MeanDifferenceText} points (95% interval {c.Interval95Text}), wins/ties/losses {c.Wins}/{c.Ties}/{c.Losses}");
            return 0;
        }
        catch (Exception e) when (e is DatasetException or ArgumentException or InvalidDataException or ImageException or IOException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
    }

    /// <summary>One picture per variant with persistent errors; the paths as the notebook (or, without one, the caller) reaches them.</summary>
    private static Dictionary<string, string> DrawErrorGrids(SeedSummary summary, DatasetScan scan, string directory, string? notebook)
    {
        var grids = new Dictionary<string, string>();
        foreach (var v in summary.Variants.Where(v => v.Persistent.Count > 0))
        {
            string path = Path.Combine(directory, $"wrong-every-seed-{v.Variant}.png");
            ErrorGrid.Write(scan.Samples, v.Persistent, scan.Labels, path);
            grids[v.Variant] = Notebook.Link(path, notebook);
        }
        return grids;
    }
}
