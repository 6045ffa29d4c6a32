using System.Globalization;
using Fersnet.Lab.Reporting;

namespace Fersnet.Lab.Benchmarks;

/// <summary>The notebook sections of <c>fersnet bench</c>, built from small renderers and the one table helper.</summary>
public static class BenchReport
{
    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Median (min–max) of a measurement with <paramref name="decimals"/> decimals.</summary>
    private static string Spread(Stat stat, int decimals) =>
        $"{Markdown.Number(stat.Median, decimals)} ({Markdown.Number(stat.Min, decimals)}–{Markdown.Number(stat.Max, decimals)})";

    /// <summary>Training and inference speed of each model, with the recipe comparison and the trained model.</summary>
    public static string SpeedSection(IReadOnlyList<ModelBench> results, CpuPeak peak, Provenance provenance, string command, BenchConfig config,
        NaiveComparison? naive, TrainedInference? trained, IReadOnlyList<GeneratorBench>? generators = null)
    {
        var text = Notebook.Section(config.Shape == config.Preset ? $"Speed ({config.Preset} preset)" : $"Speed ({config.Shape})", command, provenance);
        text.AppendLine($"- Peak: {peak.Derivation}");
        text.AppendLine(Protocol(config));
        if (naive is not null) text.AppendLine(NaiveLine(naive));
        if (trained is not null) text.AppendLine(TrainedLine(trained, config));
        if (generators is { Count: > 0 }) text.AppendLine(GeneratorLine(generators, config));
        text.AppendLine();
        text.Append(Markdown.Table(
            ["model", "train img/s", "train GFLOP/img", "train GFLOP/s (% peak)", "inference faces/s", "MFLOP/face", "inference GFLOP/s (% peak)", "1-face latency ms"],
            results.Select(r => (IReadOnlyList<string>)
            [
                r.Model, Spread(r.TrainImagesPerSecond, 1), Markdown.Number(r.TrainGflopPerImage, 2),
                $"{Markdown.Number(r.TrainGflops, 1)} ({Markdown.Percent(r.TrainPeakShare, 0)}%)", Spread(r.InferenceFacesPerSecond, 0),
                Markdown.Number(r.RecognitionMflopPerImage, 0), $"{Markdown.Number(r.InferenceGflops, 1)} ({Markdown.Percent(r.InferencePeakShare, 0)}%)",
                Markdown.Number(r.SingleFaceLatencyMs.Median, 2),
            ])));
        return text.ToString();
    }

    /// <summary>Generator training speed per synthesis decoder (every step a synthesis step).</summary>
    private static string GeneratorLine(IReadOnlyList<GeneratorBench> generators, BenchConfig config) =>
        $"- FERSNet generator training (a synthesis step on every batch of {config.TrainBatch}: discriminator, generator with cycle pass, recognition): " +
        string.Join("; ", generators.Select(g => $"{g.Decoder} decoder {Spread(g.StepsPerSecond, 2)} steps/s, {Spread(g.ImagesPerSecond, 1)} img/s"));

    private static string Protocol(BenchConfig config)
    {
        int every = config.SynthesisEvery;
        string cycle = config.CycleShare >= 1 ? "the whole batch" : Invariant($"{config.CycleShare:P0} of the batch");
        string mix = every == 1 ? "batch" : $"{Notebook.Ordinal(every)} batch, recognition alone on the others";
        return $"- Training: batch {config.TrainBatch}, channels-last feature maps, a synthesis step (recognition + generator + cycle pass on {cycle} + discriminator) on every {mix}; inference: recognition only, no_grad, batch {config.InferenceBatch}; medians of {config.Repetitions} repetitions (min–max) after {config.Warmup} warm-up.";
    }

    private static string NaiveLine(NaiveComparison naive) =>
        Invariant($"- FERSNet training vs the straightforward recipe (synthesis step on every batch, whole-batch cycle, NCHW feature maps), alternating repetitions in the same run: {naive.Recipe.Median:F1} / {naive.Naive.Median:F1} img/s, speed-up {naive.Speedup.Median:F2}x (per-repetition ratios {naive.Speedup.Min:F2}–{naive.Speedup.Max:F2})");

    private static string TrainedLine(TrainedInference trained, BenchConfig config) =>
        Invariant($"- Trained model `{trained.Checkpoint}` (epoch {trained.Epoch}), recognition only over {trained.Faces} {trained.Source} 48x48 crops in batches of {config.InferenceBatch}: {trained.FacesPerSecond.Median:F0} faces/s ({trained.FacesPerSecond.Min:F0}–{trained.FacesPerSecond.Max:F0}), {trained.MflopPerFace:F0} MFLOP/face, {trained.Gflops:F1} GFLOP/s = {trained.PeakShare * 100:F0}% of the peak");

    /// <summary>Each speed lever before and after, measured in alternating repetitions.</summary>
    public static string LeversSection(IReadOnlyList<LeverResult> levers, CpuPeak peak, Provenance provenance, string command, BenchConfig config)
    {
        var text = Notebook.Section($"Speed levers ({config.Preset} preset), each before and after", command, provenance);
        text.AppendLine($"- Peak: {peak.Derivation}");
        text.AppendLine($"- Repetitions alternate between before and after ({config.Repetitions} after {config.Warmup} warm-up); speed-up = median of the per-repetition ratios. \"after faster\": speed-up above 1.02 (the noise of this shared machine).");
        text.AppendLine();
        text.Append(Markdown.Table(
            ["lever", "before", "after", "rate before", "rate after", "speed-up (min–max)", "after faster"],
            levers.Select(l => (IReadOnlyList<string>)
            [
                l.Lever, l.Before, l.After, $"{Markdown.Number(l.BeforeRate.Median, 1)} {l.Unit}", $"{Markdown.Number(l.AfterRate.Median, 1)} {l.Unit}",
                $"{Markdown.Number(l.Speedup.Median, 2)}x ({Markdown.Number(l.Speedup.Min, 2)}–{Markdown.Number(l.Speedup.Max, 2)})", l.AfterWins ? "yes" : "no",
            ])));
        return text.ToString();
    }
}
