namespace Fersnet.Lab.Reporting;

/// <summary>
/// A table of formatted cells, built once and drawn by whichever renderer shows it: the notebook's pipe table
/// (<see cref="ToMarkdown"/>) or a console table. A row whose first cell is <see cref="TotalLabel"/> is the total,
/// drawn in bold by both.
/// </summary>
public sealed record TextTable(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    public const string TotalLabel = "all";

    public static bool IsTotal(IReadOnlyList<string> row) => row.Count > 0 && row[0] == TotalLabel;

    public string ToMarkdown() =>
        Markdown.Table(Headers, Rows.Select(row => IsTotal(row) ? (IReadOnlyList<string>)[$"**{row[0]}**", .. row.Skip(1)] : row));
}
