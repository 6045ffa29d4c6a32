using System.Diagnostics;
using Fersnet.Data;
using Fersnet.Inference;
using Fersnet.Models;
using Fersnet.Training;
using TorchSharp;
using static TorchSharp.torch;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;

namespace Fersnet.Lab.Benchmarks;

public sealed record BenchConfig(
    IReadOnlyList<ModelKind> Models,
    string Preset = "lite",
    int TrainBatch = 64,
    int InferenceBatch = 64,
    int SynthesisEvery = 1,
    double CycleShare = 1,
    int Warmup = 2,
    int Repetitions = 5,
    int Seed = 1,
    int? Width = null,
    int? ImageSize = null,
    int? ConvsPerBlock = null)
{
    /// <summary>The architecture measured: the preset's, with <see cref="Width"/>, <see cref="ImageSize"/> and
    /// <see cref="ConvsPerBlock"/> where given.</summary>
    public ModelConfig Model(ModelKind kind, int classes)
    {
        var model = ModelConfig.FromPreset(Preset, kind, classes);
        return model with { Width = Width ?? model.Width, ImageSize = ImageSize ?? model.ImageSize, ConvsPerBlock = ConvsPerBlock ?? model.ConvsPerBlock };
    }

    /// <summary>The preset and what differs from it, e.g. "lite" or "lite, width 32, 64 px, 3 convs a block".</summary>
    public string Shape => string.Join(", ", new[] { Preset, Width is { } w ? $"width {w}" : null, ImageSize is { } s ? $"{s} px" : null,
        ModelConfig.Canonical(ConvsPerBlock) is { } c ? $"{c} convs a block" : null }.OfType<string>());

    /// <summary>The notebook section's key: "bench-lite", "bench-lite-w32-64px-c3".</summary>
    public string SectionKey => string.Join("-", new[] { "bench", Preset, Width is { } w ? $"w{w}" : null, ImageSize is { } s ? $"{s}px" : null,
        ModelConfig.Canonical(ConvsPerBlock) is { } c ? $"c{c}" : null }.OfType<string>());

    /// <summary>The training recipe measured: batch size, seed, synthesis mix and cycle share.</summary>
    public TrainConfig TrainConfig() => new()
    {
        BatchSize = TrainBatch,
        Seed = Seed,
        SynthesisEvery = SynthesisEvery,
        CycleShare = CycleShare >= 1 ? null : CycleShare,
    };
}

/// <summary>FERSNet's training recipe and the straightforward baseline, measured in alternation.</summary>
/// <param name="Speedup">Per-repetition ratios recipe / naive.</param>
public sealed record NaiveComparison(Stat Recipe, Stat Naive, Stat Speedup);

/// <summary>What a trained checkpoint measured on real (or random) face crops.</summary>
public sealed record TrainedInference(string Checkpoint, int Epoch, string Source, long Faces, Stat FacesPerSecond, double MflopPerFace, double Gflops, double PeakShare);

/// <summary>Generator training speed of FERSNet with one synthesis decoder: every step a synthesis step (discriminator,
/// generator with cycle pass, recognition), steps/s and images/s.</summary>
public sealed record GeneratorBench(string Decoder, int Batch, Stat StepsPerSecond, Stat ImagesPerSecond);

/// <summary>What one model measured.</summary>
public sealed record ModelBench(
    string Model,
    string Preset,
    double TrainGflopPerImage,
    double RecognitionMflopPerImage,
    Stat TrainImagesPerSecond,
    Stat InferenceFacesPerSecond,
    Stat SingleFaceLatencyMs,
    double TrainGflops,
    double InferenceGflops,
    double TrainPeakShare,
    double InferencePeakShare);

/// <summary>
/// Measures training images/s (full steps: recognition, generator and discriminator), batched inference faces/s
/// (recognition only, no_grad, eval) and single-face latency, with warm-up and repetitions, and relates them to the
/// FLOPs counted from the layer shapes and to the CPU's peak.
/// </summary>
public static class Benchmark
{
    /// <summary>Seven classes, as CK+ and FER2013 have: the head sizes of the models measured.</summary>
    internal static readonly LabelSet CkPlusClasses = new([Expression.Anger, Expression.Contempt, Expression.Disgust, Expression.Fear, Expression.Happiness, Expression.Sadness, Expression.Surprise]);

    public static IReadOnlyList<ModelBench> Run(BenchConfig config, CpuPeak peak, Action<string>? log = null)
    {
        var results = new List<ModelBench>();
        var labels = CkPlusClasses;
        foreach (var kind in config.Models)
        {
            var modelConfig = config.Model(kind, labels.Count);
            int side = modelConfig.ImageSize;
            var generator = new Generator((ulong)config.Seed);
            using var trainer = Trainer.Create(modelConfig, config.TrainConfig(), labels);
            var train = MeasureTraining(trainer, config, config.SynthesisEvery);
            log?.Invoke($"{kind}: train {train.Median:F1} img/s");

            trainer.Model.eval();
            using var batch = rand([config.InferenceBatch, 1, side, side], generator: generator) * 2 - 1;
            using var single = rand([1, 1, side, side], generator: generator) * 2 - 1;
            double Infer(Tensor input, int times)
            {
                using var _ = no_grad();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < times; i++)
                {
                    using var scope = NewDisposeScope();
                    trainer.Model.call(input, null);
                }
                return clock.Elapsed.TotalSeconds / times;
            }
            int batches = Math.Max(1, 512 / config.InferenceBatch);
            var inference = Measure(() => config.InferenceBatch / Infer(batch, batches), config);
            var latency = Measure(() => 1000 * Infer(single, 20), config);
            log?.Invoke($"{kind}: inference {inference.Median:F0} faces/s, latency {latency.Median:F2} ms");

            double trainFlops = FlopCount.TrainFlopsPerImage(modelConfig, config.SynthesisEvery, config.CycleShare);
            double inferenceFlops = FlopCount.RecognitionFlopsPerImage(modelConfig);
            double trainGflops = train.Median * trainFlops / 1e9, inferenceGflops = inference.Median * inferenceFlops / 1e9;
            results.Add(new ModelBench(kind.ToString().ToLowerInvariant(), config.Shape, trainFlops / 1e9, inferenceFlops / 1e6,
                train, inference, latency, trainGflops, inferenceGflops, trainGflops / peak.Gflops, inferenceGflops / peak.Gflops));
        }
        return results;
    }

    /// <summary>
    /// Training images/s of <paramref name="trainer"/>'s model where a synthesis step (generator, cycle,
    /// discriminator) runs on every <paramref name="synthesisEvery"/>-th batch and recognition alone on the others:
    /// each repetition times one such cycle of steps on a random batch.
    /// </summary>
    public static Stat MeasureTraining(Trainer trainer, BenchConfig config, int synthesisEvery)
    {
        bool synthesis = trainer.Model.Config.HasSynthesis;
        return Measure(() => CycleRate(trainer, config, synthesis ? synthesisEvery : 1, synthesis), config);
    }

    /// <summary>
    /// Images/s of one timed cycle of <paramref name="steps"/> training steps on a random batch, the first a
    /// synthesis step when <paramref name="synthesisFirst"/>, the others recognition alone.
    /// </summary>
    public static double CycleRate(Trainer trainer, BenchConfig config, int steps, bool synthesisFirst)
    {
        var side = trainer.Model.Config.ImageSize;
        var generator = new Generator((ulong)config.Seed);
        using var scope = NewDisposeScope();
        var images = rand([config.TrainBatch, 1, side, side], generator: generator) * 2 - 1;
        var classes = randint(0, trainer.Model.Config.Classes, [config.TrainBatch], generator: generator, dtype: ScalarType.Int64);
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < steps; step++)
            trainer.TrainStep(images, classes, synthesis: synthesisFirst && step == 0);
        return steps * config.TrainBatch / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Generator training speed of FERSNet with each synthesis decoder (the first, bottleneck one and the skip decoder
    /// of issue 17): each repetition times one synthesis step on a random batch, with the bench's cycle share.
    /// </summary>
    public static IReadOnlyList<GeneratorBench> MeasureGenerators(BenchConfig config)
    {
        var results = new List<GeneratorBench>();
        foreach (var decoder in Enum.GetValues<SynthesisDecoder>())
        {
            var modelConfig = config.Model(ModelKind.Fersnet, CkPlusClasses.Count) with { Decoder = decoder };
            using var trainer = Trainer.Create(modelConfig, config.TrainConfig() with { SynthesisEvery = 1 }, CkPlusClasses);
            var images = Measure(() => CycleRate(trainer, config, steps: 1, synthesisFirst: true), config);
            var steps = new Stat(images.Median / config.TrainBatch, images.Min / config.TrainBatch, images.Max / config.TrainBatch,
                images.Samples.Select(s => s / config.TrainBatch).ToArray());
            results.Add(new GeneratorBench(decoder.ToString().ToLowerInvariant(), config.TrainBatch, steps, images));
        }
        return results;
    }

    /// <summary>
    /// FERSNet trained with <paramref name="config"/>'s recipe against the straightforward way, the baseline of the
    /// speed work: every batch runs the full synthesis step (generator, cycle reconstruction of the whole batch,
    /// discriminator) on NCHW feature maps, as a direct port of the method would. Repetitions alternate between the
    /// two, so that both see the same machine (a shared virtual CPU drifts by tens of percent between minutes), and
    /// the speed-up is the median of the per-repetition ratios.
    /// </summary>
    public static NaiveComparison CompareWithNaive(BenchConfig config)
    {
        var modelConfig = config.Model(ModelKind.Fersnet, CkPlusClasses.Count);
        using var recipe = Trainer.Create(modelConfig, config.TrainConfig(), CkPlusClasses);
        using var naive = Trainer.Create(modelConfig, config.TrainConfig() with { SynthesisEvery = 1, CycleShare = null }, CkPlusClasses);
        var (naiveRate, recipeRate, speedup) = Alternate(
            () => MemoryLayout.With(channelsLast: false, () => CycleRate(naive, config, steps: 1, synthesisFirst: true)),
            () => CycleRate(recipe, config, config.SynthesisEvery, synthesisFirst: true), config);
        return new NaiveComparison(recipeRate, naiveRate, speedup);
    }

    /// <summary>
    /// Rates of <paramref name="before"/> and <paramref name="after"/>, measured in alternation (warm-up rounds
    /// untimed) so that both see the same machine, and the per-round ratios after / before.
    /// </summary>
    public static (Stat Before, Stat After, Stat Speedup) Alternate(Func<double> before, Func<double> after, BenchConfig config)
    {
        var beforeRates = new List<double>();
        var afterRates = new List<double>();
        for (int i = 0; i < config.Warmup + config.Repetitions; i++)
        {
            double b = before(), a = after();
            if (i < config.Warmup) continue;
            beforeRates.Add(b);
            afterRates.Add(a);
        }
        return (Stat.Of(beforeRates), Stat.Of(afterRates), Stat.Of(afterRates.Zip(beforeRates, (a, b) => a / b).ToArray()));
    }

    /// <summary>
    /// Batched recognition (no_grad, eval) of a trained model over real face crops, <paramref name="faces"/> (N,1,S,S)
    /// in [-1,1], in batches of <see cref="BenchConfig.InferenceBatch"/>: faces/s over the whole set, per repetition.
    /// </summary>
    public static Stat InferenceOver(MultiTaskModel model, Tensor faces, BenchConfig config)
    {
        model.eval();
        return Measure(() =>
        {
            using var _ = no_grad();
            var clock = Stopwatch.StartNew();
            for (long start = 0; start < faces.shape[0]; start += config.InferenceBatch)
            {
                using var scope = NewDisposeScope();
                model.call(faces.narrow(0, start, Math.Min(config.InferenceBatch, faces.shape[0] - start)), null);
            }
            return faces.shape[0] / clock.Elapsed.TotalSeconds;
        }, config);
    }

    /// <summary>
    /// Inference of a trained checkpoint over the face crops of <paramref name="data"/> (or 512 random crops):
    /// faces/s, and what that is in GFLOP/s and share of the peak.
    /// </summary>
    public static TrainedInference MeasureTrained(string checkpoint, string? data, BenchConfig config, CpuPeak peak)
    {
        using var trained = TrainedModel.Load(checkpoint);
        int side = trained.Model.Config.ImageSize;
        Tensor faces;
        string source;
        if (data is not null)
        {
            var scan = DatasetReader.Read(data);
            using var set = FaceDataLoader.Load(scan, side, trained.Labels);
            faces = set.Images.clone();
            source = Path.GetFileName(Path.TrimEndingDirectorySeparator(data));
        }
        else
        {
            faces = rand(512, 1, side, side) * 2 - 1;
            source = "random";
        }
        using (faces)
        {
            var rate = InferenceOver(trained.Model, faces, config);
            double flops = FlopCount.RecognitionFlopsPerImage(trained.Model.Config);
            double gflops = rate.Median * flops / 1e9;
            return new TrainedInference(checkpoint.Replace('\\', '/'), trained.Header.Epoch, source, faces.shape[0], rate, flops / 1e6, gflops, gflops / peak.Gflops);
        }
    }

    private static Stat Measure(Func<double> once, BenchConfig config)
    {
        for (int i = 0; i < config.Warmup; i++) once();
        return Stat.Of(Enumerable.Range(0, config.Repetitions).Select(_ => once()).ToArray());
    }
}
