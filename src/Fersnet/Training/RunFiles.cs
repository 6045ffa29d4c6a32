using System.Text.Json;
using Fersnet.Serialization;

namespace Fersnet.Training;

/// <summary>The files of a run folder: their names, and the metrics log.</summary>
public static class RunFiles
{
    /// <summary>The resumable state (<see cref="Trainer.Fit"/> writes it after every epoch).</summary>
    public const string LastCheckpoint = "last.ckpt";

    /// <summary>The selected epoch's model, what inference and a warm start read; also the best weights a resume of
    /// <see cref="LastCheckpoint"/> takes back.</summary>
    public const string BestCheckpoint = "best.ckpt";

    public const string Metrics = "metrics.jsonl";

    public const string Curves = "curves.png";

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
