using System.Diagnostics;
using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Training;
using TorchSharp;
using static TorchSharp.torch;
using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;

namespace Fersnet.Lab.Benchmarks;

/// <summary>One speed lever measured before and after, in alternating repetitions.</summary>
/// <param name="Lever">What is changed.</param>
/// <param name="Before">The setting before (the straightforward one).</param>
/// <param name="After">The setting after.</param>
/// <param name="Unit">Unit of both rates (higher is faster).</param>
/// <param name="Speedup">Per-repetition ratios after / before.</param>
public sealed record LeverResult(string Lever, string Before, string After, string Unit, Stat BeforeRate, Stat AfterRate, Stat Speedup)
{
    /// <summary>Whether "after" is faster beyond the noise of a shared machine (2%).</summary>
    public bool AfterWins => Speedup.Median > 1.02;
}

/// <summary>
/// Measures each speed lever of issue 6/7 on its own, before and after, on this machine: memory layout and bf16 for
/// the convolutions of the lite network (per layer shape and for the whole network), the cycle share and synthesis
/// mix of a training step, threads, and inference batch size. Repetitions alternate between the two settings so
/// that both see the same machine.
/// </summary>
public static class LeverBench
{
    private static readonly LabelSet Classes = Benchmark.CkPlusClasses;

    public static IReadOnlyList<LeverResult> Run(BenchConfig config, Action<string>? log = null)
    {
        var results = new List<LeverResult>();
        void Add(LeverResult result)
        {
            results.Add(result);
            log?.Invoke($"{result.Lever}: {result.Before} {result.BeforeRate.Median:F1} → {result.After} {result.AfterRate.Median:F1} {result.Unit} ({result.Speedup.Median:F2}x)");
        }

        var modelConfig = config.Model(ModelKind.Fersnet, Classes.Count);
        int batch = config.InferenceBatch, side = modelConfig.ImageSize;

        // 1. The convolution shapes of a lite branch: layout and precision, forward only (inference) at batch 64.
        foreach (var (inChannels, channels, mapSide) in ConvShapes(modelConfig))
        {
            using var scope = NewDisposeScope();
            var input = randn(batch, inChannels, mapSide, mapSide);
            var weight = randn(channels, inChannels, 3, 3) * 0.1;
            double flops = 2.0 * batch * channels * inChannels * 9 * mapSide * mapSide;
            Func<double> Conv(Tensor x, Tensor w) => () =>
            {
                using var _ = no_grad();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < 5; i++) { using var inner = NewDisposeScope(); nn.functional.conv2d(x, w, padding: [1, 1]); }
                return 5 * flops / clock.Elapsed.TotalSeconds / 1e9;
            };
            string shape = $"3x3 conv {inChannels}→{channels} on {mapSide}x{mapSide}";
            var channelsLast = Conv(MemoryLayout.Preferred(input), MemoryLayout.Preferred(weight));
            Add(Compare($"{shape}: layout", "NCHW", "channels-last", "GFLOP/s", Conv(input, weight), channelsLast, config));
            // bf16 against what is kept (fp32 channels-last), in the same layout.
            Add(Compare($"{shape}: precision", "fp32 channels-last", "bf16 channels-last", "GFLOP/s", channelsLast,
                Conv(MemoryLayout.Preferred(input.to(ScalarType.BFloat16)), MemoryLayout.Preferred(weight.to(ScalarType.BFloat16))), config));
        }

        // 2. Whole network, inference: layout, bf16 weights and activations, threads, batch size.
        using (var model = ModelFactory.Create(modelConfig))
        {
            model.eval();
            using var faces = rand(batch, 1, side, side) * 2 - 1;
            Func<double> Infer(MultiTaskModel m, Tensor x, bool channelsLast) => () => MemoryLayout.With(channelsLast, () =>
            {
                using var _ = no_grad();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < 4; i++) { using var inner = NewDisposeScope(); m.call(x, null); }
                return 4 * x.shape[0] / clock.Elapsed.TotalSeconds;
            });
            Add(Compare("FERSNet inference: layout", "NCHW", "channels-last", "faces/s", Infer(model, faces, false), Infer(model, faces, true), config));
            using (var bf16Model = ModelFactory.Create(modelConfig))
            using (var bf16Faces = faces.to(ScalarType.BFloat16))
            {
                bf16Model.load_state_dict(model.state_dict());
                bf16Model.eval();
                bf16Model.to(ScalarType.BFloat16);
                Add(Compare("FERSNet inference: precision", "fp32 channels-last", "bf16 channels-last", "faces/s", Infer(model, faces, true), Infer(bf16Model, bf16Faces, true), config));
            }
            int threads = torch.get_num_threads();
            if (threads > 1)
                Add(Compare("FERSNet inference: intra-op threads", "1 thread", $"{threads} threads", "faces/s",
                    () => WithThreads(1, Infer(model, faces, true)), Infer(model, faces, true), config));
            using var small = faces.narrow(0, 0, Math.Min(16, batch));
            using var large = cat([faces, faces, faces, faces], 0);
            Add(Compare("FERSNet inference: batch size", $"batch {small.shape[0]}", $"batch {batch}", "faces/s", Infer(model, small, true), Infer(model, faces, true), config));
            Add(Compare("FERSNet inference: batch size", $"batch {batch}", $"batch {large.shape[0]}", "faces/s", Infer(model, faces, true), Infer(model, large, true), config));
        }

        // 3. Training steps: layout for each kind of step, then the work done per synthesis step and per epoch.
        var recipe = config.TrainConfig();
        using (var trainer = Trainer.Create(modelConfig, recipe with { CycleShare = null }, Classes))
        {
            Add(Compare("FERSNet recognition step: layout", "NCHW", "channels-last", "img/s",
                () => MemoryLayout.With(false, () => Step(trainer, config, synthesis: false)), () => MemoryLayout.With(true, () => Step(trainer, config, synthesis: false)), config));
            Add(Compare("FERSNet synthesis step: layout", "NCHW", "channels-last", "img/s",
                () => MemoryLayout.With(false, () => Step(trainer, config, synthesis: true)), () => MemoryLayout.With(true, () => Step(trainer, config, synthesis: true)), config));
        }
        if (recipe.CycleShare is { } share)
        {
            using var whole = Trainer.Create(modelConfig, recipe with { CycleShare = null }, Classes);
            using var part = Trainer.Create(modelConfig, recipe, Classes);
            Add(Compare("FERSNet synthesis step: cycle pass", "whole batch", $"{share:P0} of the batch", "img/s",
                () => Step(whole, config, synthesis: true), () => Step(part, config, synthesis: true), config));
        }
        if (recipe.SynthesisEvery > 1)
        {
            using var every = Trainer.Create(modelConfig, recipe with { SynthesisEvery = 1 }, Classes);
            using var mixed = Trainer.Create(modelConfig, recipe, Classes);
            Add(Compare("FERSNet training mix", "synthesis on every batch", $"synthesis on every {Notebook.Ordinal(recipe.SynthesisEvery)} batch", "img/s",
                () => Benchmark.CycleRate(every, config, steps: 1, synthesisFirst: true),
                () => Benchmark.CycleRate(mixed, config, recipe.SynthesisEvery, synthesisFirst: true), config));
        }
        return results;
    }

    /// <summary>(in, out, side) of the second 3x3 convolution of each block of a branch (C→C at the block's input side).</summary>
    private static IEnumerable<(long In, long Out, int Side)> ConvShapes(ModelConfig c)
    {
        int side = c.ImageSize;
        for (int depth = 0; depth < ModelConfig.Blocks; depth++, side /= 2)
            yield return (c.BlockWidth(depth), c.BlockWidth(depth), side);
    }

    private static double Step(Trainer trainer, BenchConfig config, bool synthesis) => Benchmark.CycleRate(trainer, config, steps: 1, synthesisFirst: synthesis);

    private static LeverResult Compare(string lever, string before, string after, string unit, Func<double> measureBefore, Func<double> measureAfter, BenchConfig config)
    {
        var (beforeRate, afterRate, speedup) = Benchmark.Alternate(measureBefore, measureAfter, config);
        return new LeverResult(lever, before, after, unit, beforeRate, afterRate, speedup);
    }

    private static double WithThreads(int threads, Func<double> run)
    {
        int saved = torch.get_num_threads();
        torch.set_num_threads(threads);
        try { return run(); }
        finally { torch.set_num_threads(saved); }
    }
}
