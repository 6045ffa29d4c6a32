using System.Globalization;
using System.Text;

namespace Fersnet.Lab.Reporting;

/// <summary>The small pieces the notebook's generated sections are built from: tables, figures, number formats.</summary>
public static class Markdown
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A pipe table: one header row, the separator, then the rows (cells as given, already formatted).</summary>
    public static string Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var table = new StringBuilder();
        table.AppendLine("| " + string.Join(" | ", headers) + " |");
        table.AppendLine("|" + string.Concat(headers.Select(_ => "---|")));
        foreach (var row in rows)
        {
            if (row.Count != headers.Count) throw new ArgumentException($"a row has {row.Count} cells, the table {headers.Count} columns");
            table.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        return table.ToString();
    }

    /// <summary>A fraction (0..1) as a percentage with <paramref name="decimals"/> decimals, no sign: "94.50".</summary>
    public static string Percent(double fraction, int decimals = 2) => (fraction * 100).ToString("F" + decimals, Invariant);

    /// <summary>A number with fixed decimals, culture-free.</summary>
    public static string Number(double value, int decimals) => value.ToString("F" + decimals, Invariant);

    /// <summary>An image line: <c>![alt](path)</c>.</summary>
    public static string Image(string alt, string path) => $"![{alt}]({path})";
}
