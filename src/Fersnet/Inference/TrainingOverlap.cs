using Fersnet.Training;

namespace Fersnet.Inference;

/// <summary>Whether the faces an evaluation scores were (partly) seen in training, from what the checkpoint records.</summary>
public static class TrainingOverlap
{
    /// <summary>
    /// A one-line warning when <paramref name="dataPath"/> (restricted to <paramref name="split"/>, null for all of it) is the
    /// dataset the checkpoint was trained on and the scored faces include training faces; null when it is not, or when the
    /// checkpoint does not say what trained it.
    /// </summary>
    public static string? Warning(CheckpointHeader header, string dataPath, string? split)
    {
        if (header.Data is not { } data) return null;
        static string Normal(string p) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p));
        if (!string.Equals(Normal(data.Path), Normal(dataPath), StringComparison.Ordinal)) return null;
        if (data.TrainSplits is { Count: > 0 } trained)
        {
            if (split is not null && !trained.Contains(split, StringComparer.OrdinalIgnoreCase)) return null;
            return $"the checkpoint was trained on split(s) {string.Join(", ", trained)} of this dataset, which this evaluation scores: the accuracy is not a test figure";
        }
        if (split is not null && !split.Equals("Training", StringComparison.OrdinalIgnoreCase) && !split.Equals("train", StringComparison.OrdinalIgnoreCase)) return null;
        return $"the checkpoint was trained on this dataset ({data.Path}{(data.ValidationSplit > 0 ? $", {data.ValidationSplit * 100:0.#}% of the subjects held out" : "")}): the accuracy is not a test figure";
    }

    /// <summary>The reason <see cref="Data.FaceDataLoader"/> gives a face whose true class the model does not know.</summary>
    public static bool IsUnknownClass(string reason) => reason.EndsWith("is not one of the model's classes", StringComparison.Ordinal);
}
