using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Synthesis;
using Fersnet.Training;
using TorchSharp;
using static TorchSharp.torch;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;
using Fersnet.Serialization;

namespace Fersnet.Lab.Experiments;

/// <summary>Everything that decides an experiment's numbers; its fingerprint marks every result line.</summary>
/// <param name="Model">The architecture every variant shares; each variant sets its own <see cref="ModelConfig.Kind"/>
/// and the data sets <see cref="ModelConfig.Classes"/>.</param>
public sealed record ExperimentConfig(
    string Data,
    int Folds,
    int Seed,
    ModelConfig Model,
    double ValidationSplit,
    int? Subjects,
    TrainConfig Train)
{
    /// <summary>The network of one variant on data with <paramref name="classes"/> expressions.</summary>
    public ModelConfig ModelFor(ModelKind kind, int classes) => Model with { Kind = kind, Classes = classes };

    /// <summary>
    /// A short hash of <see cref="FingerprintFields"/> and the variant's key: result lines of another configuration are
    /// refused, and run folders of two configurations never mix.
    /// </summary>
    public string Fingerprint(string variant) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(FingerprintFields() + "|" + variant)))[..16].ToLowerInvariant();

    /// <summary>
    /// The fields that decide the numbers, as one JSON object, by an explicit list. Version 1 (every experiment recorded
    /// before models other than the lite preset's shape could run): the dataset's folder name (not its location), folds,
    /// seed, width, input size, hold-out share, subject limit, training config and gate bias. Version 2 adds the whole
    /// model config where version 1 cannot tell it (constant width, another dropout), so older fingerprints stay valid.
    /// </summary>
    public string FingerprintFields()
    {
        var v1 = new ModelConfig(Model.Kind, Model.ImageSize, Model.Width, ConstantWidth: false, Model.Classes, GateBias: Model.GateBias);
        var fields = new JsonObject
        {
            ["data"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(Data)),
            ["folds"] = Folds,
            ["seed"] = Seed,
            ["width"] = Model.Width,
            ["imageSize"] = Model.ImageSize,
            ["validationSplit"] = ValidationSplit,
            ["subjects"] = Subjects,
            ["train"] = JsonSerializer.SerializeToNode(Train, FersnetJson.Options),
            ["gateBias"] = Model.GateBias,
        };
        if (Model with { Kind = v1.Kind, Classes = v1.Classes } != v1)
        {
            fields["version"] = 2;
            fields["model"] = JsonSerializer.SerializeToNode(Model with { Kind = ModelKind.Single, Classes = 2 }, FersnetJson.Options);
        }
        return fields.ToJsonString(FersnetJson.Options);
    }
}

/// <summary>One finished (variant, fold): appended to the results file the moment it is done.</summary>
/// <param name="MirroredTestAccuracy">The same model's test accuracy when each face's probabilities are averaged
/// with its mirror image's (<see cref="Evaluator.Predict"/>); null in results recorded before it was measured.</param>
/// <param name="MirroredPredicted">Those predictions, image by image.</param>
/// <param name="FirstStageTestAccuracy">A fine-tuned variant's test accuracy before the fine-tuning (its first stage's
/// selected weights): the fine-tuning's own effect, free of the training noise between two runs; null otherwise.</param>
public sealed record FoldResult(
    string Variant,
    int Fold,
    string Fingerprint,
    int TrainCount,
    int ValidationCount,
    int TestCount,
    int BestEpoch,
    double ValidationAccuracy,
    double TestAccuracy,
    double TestMacroF1,
    double Seconds,
    double TrainImagesPerSecond,
    IReadOnlyList<double>? MeanGates,
    int[] TestIndices,
    int[] Actual,
    int[] Predicted,
    string? Commit,
    DateTime FinishedUtc,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? MirroredTestAccuracy = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int[]? MirroredPredicted = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? FirstStageTestAccuracy = null)
{
    /// <summary>The test accuracy of one way of measuring this model; null where it was not measured (results recorded
    /// before it existed, a variant without a second stage).</summary>
    public double? AccuracyOf(Measurement measurement) => measurement switch
    {
        Measurement.Plain => TestAccuracy,
        Measurement.Mirrored => MirroredTestAccuracy,
        Measurement.FirstStage => FirstStageTestAccuracy,
        _ => throw new ArgumentOutOfRangeException(nameof(measurement)),
    };
}

/// <summary>Which figure of a result a comparison reads: one trained model can be measured in several ways.</summary>
public enum Measurement
{
    /// <summary>The selected model's plain predictions.</summary>
    Plain,
    /// <summary>The same model, each face's probabilities averaged with its mirror image's.</summary>
    Mirrored,
    /// <summary>A fine-tuned variant's first-stage weights, before the fine-tuning.</summary>
    FirstStage,
}

/// <summary>A variant's figures over the folds done so far.</summary>
public sealed record VariantSummary(
    string Variant,
    int Folds,
    double MeanAccuracy,
    double StdAccuracy,
    double PooledAccuracy,
    double MacroF1,
    IReadOnlyDictionary<string, double> PerClassRecall,
    double[] FoldAccuracies,
    double TrainingSeconds,
    double TrainImagesPerSecond,
    IReadOnlyList<double>? MeanGates,
    double? MirroredMeanAccuracy = null);

/// <summary>
/// Subject-independent k-fold ablation: every variant is trained on every fold with the same seed and budget,
/// selected on a hold-out of the training subjects, and tested on the fold's unseen subjects. Each finished
/// (variant, fold) is appended to a JSON-lines file at once; rerunning skips what is done.
/// </summary>
public sealed class Experiment(ExperimentConfig config, IReadOnlyList<Variant> variants, string resultsPath, string scratchDirectory)
{
    public ExperimentConfig Config { get; } = config;
    public IReadOnlyList<Variant> Variants { get; } = variants;

    /// <summary>Where pictures made during training go (the synthesis grid of a fine-tuned variant's first fold); null: none.</summary>
    public string? FigureDirectory { get; init; }

    /// <summary>Where the trainings run (not part of the configuration: results carry no machine state).</summary>
    public Device Device { get; init; } = CPU;

    public event Action<string>? Log;
    public event Action<Trainer, Variant, int>? TrainingStarted;

    /// <summary>The results of this experiment already on file (other configurations' lines are an error; a repeated
    /// line is read once, and said in the log).</summary>
    public IReadOnlyList<FoldResult> ReadResults()
    {
        var results = ResultsFile.Read(resultsPath, repeated => Log?.Invoke(repeated));
        foreach (var (result, lineNumber) in results)
        {
            var variant = Variants.FirstOrDefault(v => v.Name == result.Variant);
            if (variant is not null && result.Fingerprint != Config.Fingerprint(variant.Key))
                throw new InvalidDataException($"{resultsPath}:{lineNumber}: a '{result.Variant}' result of another configuration (fingerprint {result.Fingerprint}); use another results file for a changed experiment");
        }
        return results.Select(r => r.Result).ToArray();
    }

    /// <summary>The results of a file that must exist (another experiment's, a repetition's); <paramref name="role"/> names it in the error.</summary>
    public static IReadOnlyList<FoldResult> ReadExistingResultsFile(string path, string role) =>
        File.Exists(path)
            ? ReadResultsFile(path).Select(r => r.Result).ToArray()
            : throw new InvalidDataException($"{path}: {role} not found");

    /// <summary>Every result line of a results file, whatever its configuration, with its line number (<see cref="ResultsFile.Read"/>).</summary>
    public static IReadOnlyList<(FoldResult Result, int Line)> ReadResultsFile(string path) => ResultsFile.Read(path);

    /// <summary>The (variant, fold) trainings not on file yet, in the order <see cref="Run"/> takes them (fold by fold);
    /// folds counted from 0, as in the results file.</summary>
    public IReadOnlyList<(Variant Variant, int Fold)> PendingJobs()
    {
        var done = ReadResults().Select(r => (r.Variant, r.Fold)).ToHashSet();
        return Enumerable.Range(0, Config.Folds).SelectMany(fold => Variants.Select(v => (v, fold))).Where(j => !done.Contains((j.v.Name, j.fold))).ToArray();
    }

    /// <summary>Runs what is not done yet, fold by fold (all variants of a fold before the next fold), within the limits given.</summary>
    /// <param name="only">Run these (variant name, fold from 0) jobs alone (one task of a cluster's job array); null: every job.
    /// Other processes may run other jobs of the same experiment at the same time: results are appended under a lock,
    /// and a training folder two jobs share (a fine-tuned variant's first stage) is claimed by one at a time.</param>
    /// <returns>The number of (variant, fold) trainings finished by this call.</returns>
    public int Run(int maxRuns = int.MaxValue, TimeSpan? timeLimit = null, CancellationToken cancellation = default,
        IReadOnlyCollection<(string Variant, int Fold)>? only = null)
    {
        bool Selected(Variant variant, int fold) => only is null || only.Contains((variant.Name, fold));
        if (only is not null && PendingJobs().All(j => !Selected(j.Variant, j.Fold)))
        {
            Log?.Invoke("every job asked for is already on file");
            return 0;
        }
        var scan = DatasetReader.Read(Config.Data);
        var labels = scan.Labels;
        var samples = scan.Samples;
        if (Config.Subjects is { } limit)
        {
            var keep = samples.Select(Splits.GroupOf).Distinct().Order(StringComparer.Ordinal).Take(limit).ToHashSet();
            samples = samples.Where(s => keep.Contains(Splits.GroupOf(s))).ToArray();
            scan = scan with { Samples = samples };
        }
        var folds = Splits.SubjectKFold(samples, Config.Folds, Config.Seed);
        var done = ReadResults().Select(r => (r.Variant, r.Fold)).ToHashSet();
        var clock = Stopwatch.StartNew();
        int finished = 0;

        foreach (var variant in Variants)
        {
            // A missing warm-start file would otherwise surface only when its variant's first fold starts.
            if (TrainConfigFor(variant).InitFrom is { } init && !File.Exists(init) && folds.Any(f => Selected(variant, f.Index) && !done.Contains((variant.Name, f.Index))))
                throw new ArgumentException($"{init}: the warm-start checkpoint of variant '{variant.Name}' does not exist");
        }

        using var all = FaceDataLoader.Load(scan, Config.Model.ImageSize, labels);
        if (all.Count != samples.Count)
            throw new InvalidDataException($"{Config.Data}: {samples.Count - all.Count} image(s) could not be read ({all.Skipped.FirstOrDefault()?.Reason}); the folds need every image");

        foreach (var fold in folds)
            foreach (var variant in Variants)
            {
                if (!Selected(variant, fold.Index) || done.Contains((variant.Name, fold.Index))) continue;
                if (finished >= maxRuns || (timeLimit is { } t && clock.Elapsed >= t) || cancellation.IsCancellationRequested) return finished;
                string firstDirectory = RunDirectory(variant.FirstStage, fold);
                using var claim = RunDirectoryClaim.Acquire(firstDirectory, Log, cancellation);
                // Another job may have finished this one while we waited, or since this run started.
                done = ReadResults().Select(r => (r.Variant, r.Fold)).ToHashSet();
                if (done.Contains((variant.Name, fold.Index)))
                {
                    Log?.Invoke($"{variant.Name} fold {fold.Index + 1}: already on file (another job finished it)");
                    continue;
                }
                var result = RunFold(variant, fold, all, labels, cancellation);
                if (ResultsFile.Append(resultsPath, result))
                    Log?.Invoke($"{variant.Name} fold {fold.Index + 1}/{Config.Folds}: test accuracy {result.TestAccuracy * 100:F2}%{(result.FirstStageTestAccuracy is { } before ? $" ({before * 100:F2}% before fine-tuning)" : "")} (best epoch {result.BestEpoch}, {(result.ValidationCount > 0 ? "val" : "train")} {result.ValidationAccuracy * 100:F1}%), {result.Seconds:F0}s");
                else
                    Log?.Invoke($"{variant.Name} fold {fold.Index + 1}: another job recorded it first; its line is kept");
                done.Add((variant.Name, fold.Index));
                // The first stage's folder stays while another variant of this fold will start from it (a fine-tuned
                // variant, or the plain one a fine-tuned variant ran first); the folders go only once the result is on file.
                bool neededLater = Variants.Any(v => v != variant && v.FirstStage.Name == variant.FirstStage.Name && !done.Contains((v.Name, fold.Index)));
                foreach (var directory in new[] { neededLater ? null : firstDirectory, variant.FineTune is null ? null : RunDirectory(variant, fold) })
                    if (directory is not null)
                        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
                if (!neededLater) claim.DeleteLockFile();
                finished++;
            }
        return finished;
    }

    /// <summary>
    /// The variant's training configuration (for a fine-tuned variant, that of its first stage); <c>{variant}</c> in
    /// a warm-start path becomes the first stage's name, so fersnet+synth starts from fersnet's pretrained weights.
    /// </summary>
    public TrainConfig TrainConfigFor(Variant variant)
    {
        variant = variant.FirstStage;
        var config = variant.Adjust(Config.Train);
        return config.InitFrom is { } init ? config with { InitFrom = init.Replace("{variant}", variant.Name) } : config;
    }

    /// <summary>Folder of one training of one fold; the fingerprint in its name keeps other configurations' apart.</summary>
    private string RunDirectory(Variant variant, Fold fold) =>
        Path.Combine(scratchDirectory, $"{variant.Name}-fold{fold.Index}-{Config.Fingerprint(variant.Key)}");

    private FoldResult RunFold(Variant variant, Fold fold, FaceTensorSet all, LabelSet labels, CancellationToken cancellation)
    {
        // No hold-out (split 0): every training subject trains; the trainer then selects on training accuracy.
        var (trainIndices, validationIndices) = Config.ValidationSplit > 0
            ? Splits.GroupHoldout(all.Samples, fold.Train, Config.ValidationSplit, Config.Seed + fold.Index)
            : (fold.Train, Array.Empty<int>());
        var testSubjects = fold.Test.Select(i => Splits.GroupOf(all.Samples[i])).ToHashSet();
        if (trainIndices.Concat(validationIndices).Any(i => testSubjects.Contains(Splits.GroupOf(all.Samples[i]))))
            throw new InvalidOperationException($"fold {fold.Index}: a test subject is in the training data");

        using var train = all.Subset(trainIndices);
        using var validation = validationIndices.Count > 0 ? all.Subset(validationIndices) : null;
        using var test = all.Subset(fold.Test);
        var modelConfig = Config.ModelFor(variant.Kind, labels.Count);

        var firstStage = variant.FirstStage;
        string firstDirectory = RunDirectory(firstStage, fold);
        using var trained = TrainStage(firstStage, fold, firstDirectory, modelConfig, TrainConfigFor(variant), labels, train, validation, cancellation);
        string? secondDirectory = variant.FineTune is null ? null : RunDirectory(variant, fold);
        double synthesisSeconds = 0;
        using var fineTuned = variant.FineTune is { } fineTune
            ? FineTuneStage(variant, fineTune, fold, trained, firstDirectory, secondDirectory!, modelConfig, labels, train, validation, out synthesisSeconds, cancellation)
            : null;
        var scored = fineTuned ?? trained;
        double? firstStageAccuracy = null;
        if (fineTuned is not null)
        {
            using var before = Evaluator.Predict(trained.Model, test);
            firstStageAccuracy = before.Report(labels).Accuracy;
        }

        var best = scored.History.Single(m => m.Epoch == scored.BestEpoch);
        // Without a hold-out the gates are read on the test faces (no label is involved), so that every fold has them.
        var meanGates = best.MeanGates;
        TestTimeViews[] readAs = [TestTimeViews.Plain, TestTimeViews.Mirrored];
        var readings = meanGates is null
            ? Evaluator.PredictEachWithGates(scored.Model, test, readAs, out meanGates)
            : Evaluator.PredictEach(scored.Model, test, readAs);
        using var predictions = readings[0];
        using var mirrored = readings[1];
        var report = predictions.Report(labels);
        // A fine-tuned variant's time is what it adds to its first stage (drawing the faces, fine-tuning): the first
        // stage is the first-stage variant's row, and counting it twice would inflate the experiment's total.
        var result = new FoldResult(variant.Name, fold.Index, Config.Fingerprint(variant.Key), train.Count, validation?.Count ?? 0, test.Count,
            scored.BestEpoch, scored.BestMetric, report.Accuracy, report.MacroF1, scored.History.Sum(m => m.Seconds) + synthesisSeconds,
            scored.History.Average(m => m.ImagesPerSecond), meanGates,
            fold.Test.ToArray(), predictions.Actual, predictions.Predicted, Provenance.Current().Commit, DateTime.UtcNow,
            mirrored.Report(labels).Accuracy, mirrored.Predicted, firstStageAccuracy);
        return result;
    }

    /// <summary>Trains (or resumes, or takes the finished run in <paramref name="runDirectory"/>) and restores the selected weights.</summary>
    private Trainer TrainStage(Variant variant, Fold fold, string runDirectory, ModelConfig modelConfig, TrainConfig trainConfig, LabelSet labels,
        FaceTensorSet train, FaceTensorSet? validation, CancellationToken cancellation)
    {
        string last = Path.Combine(runDirectory, RunFiles.LastCheckpoint);
        var trainer = File.Exists(last) ? Trainer.Resume(last, device: Device) : Trainer.Create(modelConfig, trainConfig, labels, device: Device);
        try
        {
            if (trainer.CompletedEpochs >= trainer.Config.Epochs) Log?.Invoke($"{variant.Name} fold {fold.Index + 1}: its finished training is reused");
            else if (trainer.CompletedEpochs > 0) Log?.Invoke($"{variant.Name} fold {fold.Index + 1}: resuming from epoch {trainer.CompletedEpochs}");
            TrainingStarted?.Invoke(trainer, variant, fold.Index);
            trainer.Fit(train, validation, runDirectory, cancellation);
            trainer.RestoreBest();
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The second stage of a fine-tuned variant: with synthetic faces, the trained network first re-draws every training
    /// face with each other expression; recognition is then fine-tuned, selected on the same real hold-out.
    /// </summary>
    private Trainer FineTuneStage(Variant variant, FineTune fineTune, Fold fold, Trainer trained, string trainedDirectory, string runDirectory,
        ModelConfig modelConfig, LabelSet labels, FaceTensorSet train, FaceTensorSet? validation, out double synthesisSeconds, CancellationToken cancellation)
    {
        var config = fineTune.For(trained.Config, labels.Count, Path.Combine(trainedDirectory, RunFiles.BestCheckpoint));
        synthesisSeconds = 0;
        if (!fineTune.SyntheticFaces)
            return TrainStage(variant, fold, runDirectory, modelConfig, config, labels, train, validation, cancellation);

        var clock = Stopwatch.StartNew();
        using var enlarged = SyntheticFaces.Enlarge(trained.Model, train);
        synthesisSeconds = clock.Elapsed.TotalSeconds;
        Log?.Invoke($"{variant.Name} fold {fold.Index + 1}: {train.Count} real + {enlarged.Count - train.Count} synthetic training faces, drawn in {synthesisSeconds:F1}s");
        if (FigureDirectory is not null && fold.Index == 0)
            SynthesisGrid.Write(trained.Model, train, Path.Combine(FigureDirectory, SynthesisGridFile(variant.Name)));
        return TrainStage(variant, fold, runDirectory, modelConfig, config, labels, enlarged, validation, cancellation);
    }

    /// <summary>Where a fine-tuned variant's synthesis grid of the first fold goes, inside <see cref="FigureDirectory"/>.</summary>
    public static string SynthesisGridFile(string variant) => $"synthesis-{variant.Replace('+', '-')}-fold1.png";

    /// <summary>Per-variant figures over the results on file.</summary>
    public static IReadOnlyList<VariantSummary> Summarise(IReadOnlyList<FoldResult> results, LabelSet labels, IEnumerable<string> variantOrder)
    {
        var summaries = new List<VariantSummary>();
        foreach (var name in variantOrder)
        {
            var runs = results.Where(r => r.Variant == name).OrderBy(r => r.Fold).ToArray();
            if (runs.Length == 0) continue;
            var accuracies = runs.Select(r => r.TestAccuracy).ToArray();
            double mean = accuracies.Average();
            double std = Stat.SampleStandardDeviation(accuracies);
            var pooled = ClassificationReport.From(runs.SelectMany(r => r.Actual).ToArray(), runs.SelectMany(r => r.Predicted).ToArray(), labels);
            var gates = runs.All(r => r.MeanGates is { Count: > 0 })
                ? Enumerable.Range(0, runs[0].MeanGates!.Count).Select(i => runs.Average(r => r.MeanGates![i])).ToArray()
                : null;
            double? mirrored = Stat.MeanOfAll(runs.Select(r => r.MirroredTestAccuracy));
            summaries.Add(new VariantSummary(name, runs.Length, mean, std, pooled.Accuracy, pooled.MacroF1,
                pooled.PerClass.ToDictionary(c => c.Label, c => c.Recall), accuracies,
                runs.Sum(r => r.Seconds), runs.Average(r => r.TrainImagesPerSecond), gates, mirrored));
        }
        return summaries;
    }

    /// <summary>The pooled confusion report of one variant (every test image once).</summary>
    public static ClassificationReport PooledReport(IReadOnlyList<FoldResult> results, string variant, LabelSet labels)
    {
        var runs = results.Where(r => r.Variant == variant).ToArray();
        return ClassificationReport.From(runs.SelectMany(r => r.Actual).ToArray(), runs.SelectMany(r => r.Predicted).ToArray(), labels);
    }
}
