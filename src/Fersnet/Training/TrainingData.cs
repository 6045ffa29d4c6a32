using Fersnet.Data;

namespace Fersnet.Training;

/// <summary>The decoded training and validation sets of a run.</summary>
public sealed record TrainingData(FaceTensorSet Train, FaceTensorSet? Validation, IReadOnlyList<SkippedFile> Skipped) : IDisposable
{
    public void Dispose()
    {
        Train.Dispose();
        Validation?.Dispose();
    }

    /// <summary>
    /// Loads a run's data: FER2013 trains on Training and validates on PublicTest (PrivateTest is never touched);
    /// otherwise a separate validation dataset, or a subject-grouped hold-out of the training subjects. Named splits
    /// (<see cref="DataConfig.TrainSplits"/>) replace all of these.
    /// </summary>
    public static TrainingData Load(DataConfig config, int imageSize, LabelSet? labels = null, IProgress<int>? progress = null)
    {
        var scan = DatasetReader.Read(config.Path);
        labels ??= scan.Labels;
        using var all = FaceDataLoader.Load(scan, imageSize, labels, progress);
        var skipped = all.Skipped.ToList();

        bool fer2013 = scan.Layout is DatasetLayout.Fer2013Folders or DatasetLayout.Fer2013Csv;
        IReadOnlyList<int> trainIndices, validationIndices;
        FaceTensorSet? separateValidation = null;
        if (config.TrainSplits is { Count: > 0 } trainSplits)
        {
            var validationSplits = config.ValidationSplits ?? [];
            if (trainSplits.Intersect(validationSplits, StringComparer.OrdinalIgnoreCase).FirstOrDefault() is { } both)
                throw new ArgumentException($"split '{both}' is asked for both training and validation");
            trainIndices = Splits.Named(all.Samples, trainSplits);
            validationIndices = validationSplits.Count > 0 ? Splits.Named(all.Samples, validationSplits) : [];
        }
        else if (config.ValidationPath is not null)
        {
            var valScan = DatasetReader.Read(config.ValidationPath);
            separateValidation = FaceDataLoader.Load(valScan, imageSize, labels, progress);
            skipped.AddRange(separateValidation.Skipped);
            trainIndices = fer2013 ? Splits.Fer2013(all.Samples).Train : Enumerable.Range(0, all.Count).ToArray();
            validationIndices = [];
        }
        else if (fer2013)
        {
            var split = Splits.Fer2013(all.Samples);
            (trainIndices, validationIndices) = (split.Train, split.Validation);
        }
        else if (config.ValidationSplit > 0)
        {
            (trainIndices, validationIndices) = Splits.GroupHoldout(all.Samples, Enumerable.Range(0, all.Count).ToArray(), config.ValidationSplit, config.SplitSeed);
        }
        else
        {
            (trainIndices, validationIndices) = (Enumerable.Range(0, all.Count).ToArray(), []);
        }

        var train = all.Subset(trainIndices);
        var validation = separateValidation ?? (validationIndices.Count > 0 ? all.Subset(validationIndices) : null);
        return new TrainingData(train, validation, skipped);
    }
}
