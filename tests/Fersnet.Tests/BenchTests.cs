using System.Text.Json;
using Fersnet.Evaluation;
using Fersnet.Models;
using Fersnet.Lab.Reporting;
using Fersnet.Lab.Benchmarks;

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
        // A third conv in each block repeats each block's second one: 16·16·9·48² = 5.31 M MAC in every block, +42.5 MFLOP.
        Assert.Equal(72.3e6 + 2 * 4 * 5.308e6, FlopCount.RecognitionFlopsPerImage(single with { ConvsPerBlock = 3 }), 0.3e6);
        // A synthesis step costs more than three recognition-only steps; mixing them lowers the average.
        Assert.True(FlopCount.TrainFlopsPerImage(fersnet, 1) > FlopCount.TrainFlopsPerImage(fersnet, 2));
        Assert.True(FlopCount.TrainFlopsPerImage(fersnet, 1) > 3 * FlopCount.RecognitionFlopsPerImage(fersnet));
    }

    [Fact]
    public void A_bench_names_its_shape_by_what_differs_from_the_preset_and_the_paper_block_is_the_preset()
    {
        Assert.Equal("bench-lite", new BenchConfig([ModelKind.Single]).SectionKey);
        Assert.Equal("bench-lite-w32-64px-c3", new BenchConfig([ModelKind.Single], Width: 32, ImageSize: 64, ConvsPerBlock: 3).SectionKey);
        Assert.Equal("lite, width 32, 64 px, 3 convs a block", new BenchConfig([ModelKind.Single], Width: 32, ImageSize: 64, ConvsPerBlock: 3).Shape);
        var paperBlock = new BenchConfig([ModelKind.Single], ConvsPerBlock: ModelConfig.PaperConvsPerBlock);
        Assert.Equal("bench-lite", paperBlock.SectionKey);
        Assert.Equal("lite", paperBlock.Shape);
        Assert.Equal(ModelConfig.Lite(ModelKind.Single, 7), paperBlock.Model(ModelKind.Single, 7));
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
    public void Bench_measures_another_width_and_input_size_into_a_section_of_its_own()
    {
        using var dir = new TempDir();
        string notebook = dir.Combine("RESULTS.md");
        var result = CliRunner.Run("bench", "--models", "single", "--width", "8", "--image-size", "64", "--warmup", "0", "--repetitions", "1",
            "--json", dir.Combine("bench.json"), "--notebook", notebook);
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.Combine("bench.json")));
        var model = json.RootElement.GetProperty("models")[0];
        Assert.Equal("lite, width 8, 64 px", model.GetProperty("preset").GetString());
        // FLOPs follow the shape: 64 px costs (64/48)² of 48 px at the same width.
        var at48 = FlopCount.RecognitionFlopsPerImage(ModelConfig.Lite(ModelKind.Single, 7, width: 8));
        Assert.Equal(at48 * 64 * 64 / (48 * 48) / 1e6, model.GetProperty("recognitionMflopPerImage").GetDouble(), 0.05 * at48 / 1e6);
        Assert.Contains("<!-- BEGIN generated: bench-lite-w8-64px -->", File.ReadAllText(notebook));
        Assert.Contains("### Speed (lite, width 8, 64 px)", File.ReadAllText(notebook));

        var wrong = CliRunner.Run("bench", "--models", "single", "--image-size", "50");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("multiple of 16", wrong.Output);
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
        // Generator training speed of each synthesis decoder: steps/s is images/s over the batch.
        var generators = json.RootElement.GetProperty("generators").EnumerateArray().ToArray();
        Assert.Equal(["bottleneck", "skip"], generators.Select(g => g.GetProperty("decoder").GetString()));
        foreach (var g in generators)
        {
            double images = g.GetProperty("imagesPerSecond").GetProperty("median").GetDouble();
            Assert.True(images > 0);
            Assert.Equal(images / g.GetProperty("batch").GetInt32(), g.GetProperty("stepsPerSecond").GetProperty("median").GetDouble(), 6);
        }
        Assert.Contains("generator training (skip decoder", result.Output);
    }

    [Fact]
    public void Bench_levers_measures_each_lever_before_and_after()
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("bench", "--levers", "--synthesis-every", "2", "--cycle-share", "0.5", "--warmup", "0", "--repetitions", "1",
            "--json", dir.Combine("levers.json"), "--notebook", dir.Combine("RESULTS.md"));
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.Combine("levers.json")));
        var levers = json.RootElement.GetProperty("levers").EnumerateArray().ToArray();
        var names = levers.Select(l => l.GetProperty("lever").GetString()!).ToArray();
        Assert.Contains(names, n => n.EndsWith(": layout") && n.StartsWith("3x3 conv 16→16 on 48x48"));
        Assert.Contains("FERSNet inference: precision", names);
        Assert.Contains("FERSNet synthesis step: cycle pass", names);
        Assert.Contains("FERSNet training mix", names);
        foreach (var lever in levers)
        {
            double before = lever.GetProperty("beforeRate").GetProperty("median").GetDouble(), after = lever.GetProperty("afterRate").GetProperty("median").GetDouble();
            Assert.True(before > 0 && after > 0, lever.GetProperty("lever").GetString());
            Assert.Equal(after / before, lever.GetProperty("speedup").GetProperty("median").GetDouble(), 6);
        }
        Assert.Contains("| FERSNet inference: layout | NCHW | channels-last |", File.ReadAllText(dir.Combine("RESULTS.md")));
    }

    [Fact]
    public void Bench_measures_a_trained_checkpoint_on_real_face_crops()
    {
        using var dir = new TempDir();
        string run = dir.Combine("run");
        var trained = CliRunner.Run("train", "--data", TestPaths.CkPlus, "--model", "fersnet", "--width", "4", "--epochs", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Output);
        var result = CliRunner.Run("bench", "--models", "single", "--warmup", "0", "--repetitions", "1",
            "--checkpoint", Path.Combine(run, "best.ckpt"), "--data", TestPaths.CkPlus, "--json", dir.Combine("bench.json"));
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = JsonDocument.Parse(File.ReadAllText(dir.Combine("bench.json")));
        var inference = json.RootElement.GetProperty("trainedInference");
        Assert.Equal(981, inference.GetProperty("faces").GetInt64());
        Assert.Equal("ckplus48", inference.GetProperty("source").GetString());
        double rate = inference.GetProperty("facesPerSecond").GetProperty("median").GetDouble();
        Assert.True(rate > 0);
        Assert.Equal(rate, json.RootElement.GetProperty("inferenceFacesPerSecond").GetDouble(), 6);
        Assert.InRange(inference.GetProperty("peakShare").GetDouble(), 0, 1);

        var missing = CliRunner.Run("bench", "--models", "single", "--checkpoint", dir.Combine("none.ckpt"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("none.ckpt", missing.Output);
    }

    [Fact]
    public void Ordinals_read_as_english()
    {
        Assert.Equal(["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th"],
            new[] { 1, 2, 3, 4, 11, 12, 13, 21, 22, 111 }.Select(Notebook.Ordinal));
    }
}
