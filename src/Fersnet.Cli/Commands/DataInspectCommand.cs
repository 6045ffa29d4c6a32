using System.ComponentModel;
using Fersnet.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet data inspect &lt;dir&gt;</c>: what a dataset holds, and which files cannot be used.</summary>
public sealed class DataInspectCommand(IAnsiConsole console) : Command<DataInspectCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<dir>")]
        [Description("Dataset folder (class folders, CK+, FER2013 folders or JAFFE) or a fer2013.csv file.")]
        public string Path { get; init; } = "";

        [CommandOption("--no-decode")]
        [Description("Only list files; do not decode every image to find unreadable ones.")]
        public bool NoDecode { get; init; }

        [CommandOption("--show-skipped <N>")]
        [Description("How many skipped files to list (default 20).")]
        public int ShowSkipped { get; init; } = 20;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        DatasetScan scan;
        try
        {
            scan = DatasetReader.Read(settings.Path);
        }
        catch (DatasetException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }

        var samples = scan.Samples;
        var skipped = scan.Skipped;
        IReadOnlyList<SplitSharpness> sharpness = [];
        if (!settings.NoDecode)
        {
            // Decoding at 48x48 (the lite models' size) checks the files and measures what the models will see.
            using var decoded = FaceDataLoader.Load(scan, size: 48);
            samples = decoded.Samples;
            skipped = decoded.Skipped;
            sharpness = QualityCheck.SharpnessBySplit(decoded);
        }
        var inspected = scan with { Samples = samples, Skipped = skipped };
        Render(console, inspected, settings.ShowSkipped);
        if (sharpness.Count > 0)
            console.MarkupLineInterpolated($"sharpness (median Laplacian variance at 48x48): {string.Join(", ", sharpness.Select(s => $"{(s.Split.Length == 0 ? "all" : s.Split)} {s.Median:F0}"))}");
        if (QualityCheck.SharpnessMismatch(sharpness) is { } warning)
            console.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        return 0;
    }

    internal static void Render(IAnsiConsole console, DatasetScan scan, int showSkipped)
    {
        var labels = scan.Labels;
        var splits = scan.Splits;
        console.MarkupLineInterpolated($"[bold]{scan.Root}[/]");
        console.MarkupLineInterpolated($"layout: [green]{scan.Layout}[/], images: [green]{scan.Samples.Count}[/], classes: [green]{labels.Count}[/], subjects: [green]{scan.SubjectCount}[/], skipped: [yellow]{scan.Skipped.Count}[/]");

        var table = new Table().Border(TableBorder.Rounded).AddColumn("class");
        bool bySplit = splits.Count > 1 || splits[0] != "";
        if (bySplit) foreach (var split in splits) table.AddColumn(new TableColumn(split).RightAligned());
        table.AddColumn(new TableColumn("total").RightAligned());
        table.AddColumn(new TableColumn("share").RightAligned());
        foreach (var expression in labels.Classes)
        {
            var ofClass = scan.Samples.Where(s => s.Label == expression).ToList();
            var row = new List<string> { expression.Name() };
            if (bySplit) row.AddRange(splits.Select(split => ofClass.Count(s => (s.Split ?? "") == split).ToString()));
            row.Add(ofClass.Count.ToString());
            row.Add($"{100.0 * ofClass.Count / scan.Samples.Count:F1}%");
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        var totals = new List<string> { "[bold]total[/]" };
        if (bySplit) totals.AddRange(splits.Select(split => scan.Samples.Count(s => (s.Split ?? "") == split).ToString()));
        totals.Add($"[bold]{scan.Samples.Count}[/]");
        totals.Add("100%");
        table.AddRow(totals.ToArray());
        console.Write(table);

        if (scan.Skipped.Count == 0) return;
        console.MarkupLineInterpolated($"[yellow]{scan.Skipped.Count} file(s) skipped:[/]");
        foreach (var skip in scan.Skipped.Take(showSkipped))
            console.MarkupLineInterpolated($"  {skip.Path}: {skip.Reason}");
        if (scan.Skipped.Count > showSkipped) console.MarkupLineInterpolated($"  … and {scan.Skipped.Count - showSkipped} more");
    }
}
