using System.Text.Json;
using Fersnet.Serialization;

namespace Fersnet.Training;

/// <summary>The text files of a run folder.</summary>
public static class RunFiles
{
    /// <summary>Rewrites metrics.jsonl (one line per epoch) from the full history, so a resumed run never duplicates a line.</summary>
    public static void WriteMetrics(string path, IEnumerable<EpochMetrics> history)
    {
        string temp = path + ".tmp";
        File.WriteAllLines(temp, history.Select(m => JsonSerializer.Serialize(m, FersnetJson.Options)));
        File.Move(temp, path, overwrite: true);
    }

    public static IReadOnlyList<EpochMetrics> ReadMetrics(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, FersnetJson.Options)!).ToArray();
}
