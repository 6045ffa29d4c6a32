namespace Fersnet.Evaluation;

/// <summary>
/// The lab notebook (docs/RESULTS.md): commands that measure write their own section, between markers, so a
/// figure there always comes from the command printed above it. Hand-written text outside the markers stays.
/// </summary>
public static class Notebook
{
    public static void ReplaceSection(string path, string name, string markdown)
    {
        string begin = $"<!-- BEGIN generated: {name} -->", end = $"<!-- END generated: {name} -->";
        string section = begin + "\n" + markdown.TrimEnd('\n') + "\n" + end;
        string text = File.Exists(path) ? File.ReadAllText(path) : "# Results\n";
        int from = text.IndexOf(begin, StringComparison.Ordinal), to = text.IndexOf(end, StringComparison.Ordinal);
        text = from >= 0 && to > from
            ? text[..from] + section + text[(to + end.Length)..]
            : text.TrimEnd('\n') + "\n\n" + section + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text.TrimEnd('\n') + "\n");
    }

    /// <summary>1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st.</summary>
    public static string Ordinal(int n) => n + ((n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });
}
