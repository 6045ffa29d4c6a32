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
}
