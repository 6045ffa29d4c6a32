using System.ComponentModel;
using System.Text.Json;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Inference;
using Fersnet.Models;
using Fersnet.Runtime;
using Fersnet.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using Fersnet.Lab.Reporting;
using Fersnet.Lab.Benchmarks;
using Fersnet.Serialization;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet bench</c>: training images/s, inference faces/s, latency, FLOPs and share of the CPU's peak.</summary>
public sealed class BenchCommand(IAnsiConsole console) : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--models <LIST>")]
        [Description("Comma-separated: single, hard, fersnet (default: all).")]
        public string Models { get; init; } = "single,hard,fersnet";

        [CommandOption("--preset <NAME>")]
        public string Preset { get; init; } = "lite";

        [CommandOption("--width <N>")]
        [Description("First-block width instead of the preset's (a training lever's cost).")]
        public int? Width { get; init; }

        [CommandOption("--image-size <PIXELS>")]
        [Description("Input side instead of the preset's, a multiple of 16 (a training lever's cost).")]
        public int? ImageSize { get; init; }

        [CommandOption("--convs-per-block <N>")]
        [Description("3x3 convolutions in each block instead of the paper's 2 (a deeper network's cost).")]
        public int? ConvsPerBlock { get; init; }

        [CommandOption("--synthesis-every <K>")]
        [Description("Training mix: a synthesis step every k-th batch, as in training (default 1).")]
        public int SynthesisEvery { get; init; } = 1;

        [CommandOption("--cycle-share <S>")]
        [Description("Share of each synthesis batch that gets the cycle reconstruction, as in training (default 1).")]
        public double CycleShare { get; init; } = 1;

        [CommandOption("--repetitions <N>")]
        public int Repetitions { get; init; } = 5;

        [CommandOption("--warmup <N>")]
        [Description("Untimed repetitions before measuring (default 2).")]
        public int Warmup { get; init; } = 2;

        [CommandOption("--checkpoint <FILE>")]
        [Description("Trained FERSNet checkpoint: inference faces/s is measured with it, on the face crops of --data.")]
        public string? Checkpoint { get; init; }

        [CommandOption("--data <DIR>")]
        [Description("Face crops for the trained-model inference run (default: random 48x48 crops).")]
        public string? Data { get; init; }

        [CommandOption("--levers")]
        [Description("Measure each speed lever before/after instead (layout, bf16, threads, batch size, cycle share, synthesis mix).")]
        public bool Levers { get; init; }

        [CommandOption("--json <FILE>")]
        [Description("Write the results as JSON (the committed run: docs/results/bench.json).")]
        public string? Json { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Lab notebook to update with a generated section (e.g. docs/RESULTS.md).")]
        public string? Notebook { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ModelKind[] kinds;
        try { kinds = settings.Models.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ModelFactory.ParseKind).ToArray(); }
        catch (ArgumentException e) { console.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); return 1; }

        var peak = CpuPeak.Detect(TorchRuntime.ThreadCount);
        var config = new BenchConfig(kinds, settings.Preset, SynthesisEvery: settings.SynthesisEvery, CycleShare: settings.CycleShare, Warmup: settings.Warmup, Repetitions: settings.Repetitions,
            Width: settings.Width, ImageSize: settings.ImageSize, ConvsPerBlock: settings.ConvsPerBlock);
        try { config.Model(ModelKind.Single, 2).Validate(); }
        catch (ArgumentException e) { console.MarkupLineInterpolated($"[red]error:[/] {e.Message}"); return 2; }
        console.MarkupLineInterpolated($"peak FP32: {peak.Derivation}");
        if (settings.Levers) return RunLevers(context, settings, config, peak);
        // The trained model first: a wrong path fails before minutes of measuring.
        TrainedInference? trained = null;
        if (settings.Checkpoint is { } checkpoint)
        {
            try { trained = Benchmark.MeasureTrained(checkpoint, settings.Data, config, peak); }
            catch (Exception e) when (e is CheckpointException or DatasetException)
            {
                console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
                return 1;
            }
            console.MarkupLineInterpolated($"trained model {trained.Checkpoint}: {trained.FacesPerSecond.Median:F0} faces/s ({trained.FacesPerSecond.Min:F0}–{trained.FacesPerSecond.Max:F0}) over {trained.Faces} {trained.Source} crops, {trained.Gflops:F1} GFLOP/s = {trained.PeakShare * 100:F0}% of peak");
        }
        var results = Benchmark.Run(config, peak, line => console.MarkupLineInterpolated($"[grey]{line}[/]"));
        var provenance = Provenance.Current();
        string command = FersnetCli.CommandLine(context);

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("model", "train img/s (min–max)", "train GFLOP/img", "train GFLOP/s (peak %)", "infer faces/s (min–max)", "MFLOP/face", "infer GFLOP/s (peak %)", "latency ms");
        foreach (var r in results)
            table.AddRow(r.Model, $"{r.TrainImagesPerSecond.Median:F1} ({r.TrainImagesPerSecond.Min:F1}–{r.TrainImagesPerSecond.Max:F1})", $"{r.TrainGflopPerImage:F2}",
                $"{r.TrainGflops:F1} ({r.TrainPeakShare * 100:F0}%)", $"{r.InferenceFacesPerSecond.Median:F0} ({r.InferenceFacesPerSecond.Min:F0}–{r.InferenceFacesPerSecond.Max:F0})",
                $"{r.RecognitionMflopPerImage:F0}", $"{r.InferenceGflops:F1} ({r.InferencePeakShare * 100:F0}%)", $"{r.SingleFaceLatencyMs.Median:F2}");
        console.Write(table);

        var fersnet = results.FirstOrDefault(r => r.Model == "fersnet");
        // The baseline of the speed work: FERSNet trained the straightforward way (every batch a full synthesis
        // step, NCHW feature maps), measured in this same run.
        var naive = fersnet is null ? null : Benchmark.CompareWithNaive(config);
        if (naive is not null)
            console.MarkupLineInterpolated($"fersnet training, alternating repetitions: recipe {naive.Recipe.Median:F1} img/s, naive (synthesis on every batch, NCHW) {naive.Naive.Median:F1} img/s: {naive.Speedup.Median:F2}x ({naive.Speedup.Min:F2}–{naive.Speedup.Max:F2})");
        // Generator training speed, each synthesis decoder (issue 17).
        var generators = fersnet is null ? null : Benchmark.MeasureGenerators(config);
        foreach (var g in generators ?? [])
            console.MarkupLineInterpolated($"fersnet generator training ({g.Decoder} decoder, a synthesis step on every batch): {g.StepsPerSecond.Median:F2} steps/s, {g.ImagesPerSecond.Median:F1} img/s ({g.ImagesPerSecond.Min:F1}–{g.ImagesPerSecond.Max:F1})");
        if (settings.Json is { } json)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            File.WriteAllText(json, JsonSerializer.Serialize(new
            {
                command,
                provenance,
                peak = new { peak.Cores, peak.GHz, peak.FlopsPerCycle, peak.Gflops, peak.Derivation },
                config,
                generators,
                trainImagesPerSecond = naive?.Recipe.Median,
                naiveTrainImagesPerSecond = naive?.Naive.Median,
                trainSpeedup = naive?.Speedup.Median,
                naiveComparison = naive,
                inferenceFacesPerSecond = trained?.FacesPerSecond.Median ?? fersnet?.InferenceFacesPerSecond.Median,
                trainedInference = trained,
                models = results,
            }, FersnetJson.Indented) + "\n");
        }
        if (settings.Notebook is { } notebook) Notebook.ReplaceSection(notebook, config.SectionKey, BenchReport.SpeedSection(results, peak, provenance, command, config, naive, trained, generators));
        return 0;
    }

    private int RunLevers(CommandContext context, Settings settings, BenchConfig config, CpuPeak peak)
    {
        var levers = LeverBench.Run(config, line => console.MarkupLineInterpolated($"[grey]{line}[/]"));
        var provenance = Provenance.Current();
        string command = FersnetCli.CommandLine(context);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("lever", "before", "after", "rate before", "rate after", "speed-up (min–max)", "after faster");
        foreach (var l in levers)
            table.AddRow(Markup.Escape(l.Lever), Markup.Escape(l.Before), Markup.Escape(l.After), $"{l.BeforeRate.Median:F1} {l.Unit}", $"{l.AfterRate.Median:F1} {l.Unit}",
                $"{l.Speedup.Median:F2}x ({l.Speedup.Min:F2}–{l.Speedup.Max:F2})", l.AfterWins ? "yes" : "no");
        console.Write(table);
        if (settings.Json is { } json)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            File.WriteAllText(json, JsonSerializer.Serialize(new { command, provenance, peak = new { peak.Gflops, peak.Derivation }, config, levers },
                FersnetJson.Indented) + "\n");
        }
        if (settings.Notebook is { } notebook)
            Notebook.ReplaceSection(notebook, $"bench-levers-{settings.Preset}", BenchReport.LeversSection(levers, peak, provenance, command, config));
        return 0;
    }
}
