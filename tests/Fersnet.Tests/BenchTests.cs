using System.Text.Json;
using Fersnet.Evaluation;
using Fersnet.Models;

namespace Fersnet.Tests;

public class BenchTests
{
    [Fact]
    public void Flop_counts_match_a_count_by_hand()
    {
        // Lite FERSNet, per image: blocks 10.6+3x7.96 M MAC per branch, ConvFLUs 4x7.96 M MAC per direction less
        // the FES-side one of the last depth (only the decoder reads it), stem 0.33 M, head 1.33 M: 126.4 M MAC,
        // i.e. ~253 MFLOP for recognition.
        var fersnet = ModelConfig.Lite(ModelKind.Fersnet, 7);
        Assert.Equal(252.8e6, FlopCount.RecognitionFlopsPerImage(fersnet), 0.3e6);
        var single = ModelConfig.Lite(ModelKind.Single, 7);
        Assert.Equal(72.3e6, FlopCount.RecognitionFlopsPerImage(single), 0.3e6);
        Assert.Equal(3 * 72.3e6, FlopCount.TrainFlopsPerImage(single), 1e6);
        // A synthesis step costs more than three recognition-only steps; mixing them lowers the average.
        Assert.True(FlopCount.TrainFlopsPerImage(fersnet, 1) > FlopCount.TrainFlopsPerImage(fersnet, 2));
        Assert.True(FlopCount.TrainFlopsPerImage(fersnet, 1) > 3 * FlopCount.RecognitionFlopsPerImage(fersnet));
    }

    [Fact]
    public void Peak_is_derived_from_cores_clock_and_vector_width()
    {
        var peak = CpuPeak.Detect(2);
        Assert.Equal(2, peak.Cores);
        Assert.True(peak.GHz > 0.5 && peak.FlopsPerCycle >= 8);
        // The measured clock is a real clock: between 0.5 and 6 GHz on anything this runs on.
        Assert.InRange(CpuPeak.MeasureClockGHz(), 0.5, 6.0);
        Assert.Equal(peak.Cores * peak.GHz * peak.FlopsPerCycle, peak.Gflops, 6);
        Assert.Contains("FLOP/cycle", peak.Derivation);
    }

    [Fact]
    public void Bench_command_writes_its_json()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("bench", "--models", "single", "--warmup", "0", "--repetitions", "1", "--json", dir.Combine("bench.json"), "--notebook", dir.Combine("RESULTS.md"));
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.Combine("bench.json")));
        var model = json.RootElement.GetProperty("models")[0];
        Assert.Equal("single", model.GetProperty("model").GetString());
        Assert.True(model.GetProperty("trainImagesPerSecond").GetProperty("median").GetDouble() > 0);
        Assert.True(model.GetProperty("inferenceFacesPerSecond").GetProperty("median").GetDouble() > 0);
        Assert.Contains("| single |", File.ReadAllText(dir.Combine("RESULTS.md")));
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("naiveTrainImagesPerSecond").ValueKind);   // no fersnet measured
    }

    [Fact]
    public void Bench_measures_fersnet_against_the_naive_recipe_in_the_same_run()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("bench", "--models", "fersnet", "--synthesis-every", "2", "--cycle-share", "0.5", "--warmup", "0", "--repetitions", "1", "--json", dir.Combine("bench.json"));
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.Combine("bench.json")));
        double optimised = json.RootElement.GetProperty("trainImagesPerSecond").GetDouble();
        double naive = json.RootElement.GetProperty("naiveTrainImagesPerSecond").GetDouble();
        Assert.True(optimised > 0 && naive > 0);
        Assert.True(json.RootElement.GetProperty("inferenceFacesPerSecond").GetDouble() > 0);
        // One repetition: the speed-up is that repetition's ratio.
        Assert.Equal(optimised / naive, json.RootElement.GetProperty("trainSpeedup").GetDouble(), 6);
        Assert.Contains("naive (synthesis on every batch, NCHW)", result.Output);
    }
}
