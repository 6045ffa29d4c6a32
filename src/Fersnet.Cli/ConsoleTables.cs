using Fersnet.Lab.Reporting;
using Spectre.Console;

namespace Fersnet.Cli;

/// <summary>The console's renderer of a <see cref="TextTable"/> (the notebook's is <see cref="TextTable.ToMarkdown"/>).</summary>
internal static class ConsoleTables
{
    public static Table From(TextTable table)
    {
        var rendered = new Table().Border(TableBorder.Rounded).AddColumns(table.Headers.Select(Markup.Escape).ToArray());
        foreach (var row in table.Rows)
            rendered.AddRow(row.Select((cell, i) => i == 0 && TextTable.IsTotal(row) ? $"[bold]{Markup.Escape(cell)}[/]" : Markup.Escape(cell)).ToArray());
        return rendered;
    }
}
