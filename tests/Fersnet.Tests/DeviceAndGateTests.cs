using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Models;
using Fersnet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Tests;

public class DeviceAndGateTests
{
    static DeviceAndGateTests() => _ = TestPaths.RepoRoot;

    [Fact]
    public void Device_names_parse_and_an_unavailable_cuda_says_so_in_one_line()
    {
        Assert.Equal(DeviceType.CPU, ComputeDevice.Parse("cpu").type);
        Assert.Equal(DeviceType.CPU, ComputeDevice.Parse(null).type);
        Assert.Contains("unknown device 'tpu'", Assert.Throws<ArgumentException>(() => ComputeDevice.Parse("tpu")).Message);
        Assert.Contains("cuda:0", Assert.Throws<ArgumentException>(() => ComputeDevice.Parse("cuda:x")).Message);
        if (cuda.is_available()) return;   // a GPU machine: nothing unavailable to report
        var error = Assert.Throws<DeviceUnavailableException>(() => ComputeDevice.Parse("cuda"));
        Assert.Contains("TorchSharp-cuda", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Train_with_an_unavailable_device_stops_with_an_error_line_not_a_stack_trace()
    {
        if (cuda.is_available()) return;
        using var dir = new TempDir();
        var result = CliRunner.Run("train", "--data", TestPaths.CkPlus, "--model", "single", "--epochs", "1", "--device", "cuda", "--out", dir.Combine("run"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not available", result.Output);
        Assert.DoesNotContain("   at ", result.Output);
        Assert.False(File.Exists(dir.Combine("run", "last.ckpt")));
    }

    [Fact]
    public void Measuring_gates_changes_no_output_and_keeps_no_state()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = ModelFactory.Create(ModelConfig.Lite(ModelKind.Fersnet, 3));
        model.eval();
        using var _ = no_grad();
        var x = rand(4, 1, 48, 48) * 2 - 1;                                            // (4,1,48,48)
        var plain = model.call(x, null);
        var measured = model.ForwardMeasuringGates(x, null);
        Assert.Null(plain.GateMeans);
        Assert.True(plain.FerLogits.allclose(measured.FerLogits));
        var gates = measured.GateMeans!;                                             // (8): FER side, then FES side
        Assert.Equal([2L * ModelConfig.Blocks], gates.shape);
        Assert.True((gates > 0).all().item<bool>() && (gates < 1).all().item<bool>());
        // The same input measured twice gives the same means: nothing accumulates between calls.
        Assert.True(gates.allclose(model.ForwardMeasuringGates(x, null).GateMeans!));
        // A model without gates has none to report.
        using var single = ModelFactory.Create(ModelConfig.Lite(ModelKind.Single, 3));
        single.eval();
        Assert.Null(single.ForwardMeasuringGates(x, null).GateMeans);
    }

    [Fact]
    public void Evaluator_gate_means_are_the_face_weighted_mean_of_the_batch_means()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = ModelFactory.Create(ModelConfig.Lite(ModelKind.Fersnet, 2));
        model.eval();
        var images = rand(70, 1, 48, 48) * 2 - 1;                                     // a full batch of 64 and one of 6
        var labels = arange(70) % 2;
        var samples = Enumerable.Range(0, 70).Select(i => new FaceSample($"f{i}.png", i % 2 == 0 ? Expression.Anger : Expression.Happiness)).ToArray();
        using var set = new FaceTensorSet(images, labels, samples, new LabelSet([Expression.Anger, Expression.Happiness]), []);
        using var predictions = Evaluator.PredictWithGates(model, set, out var means);
        Tensor expected;
        using (no_grad())
            expected = (model.ForwardMeasuringGates(images.narrow(0, 0, 64), null).GateMeans! * 64
                        + model.ForwardMeasuringGates(images.narrow(0, 64, 6), null).GateMeans! * 6) / 70;
        Assert.Equal(expected.data<float>().Select(v => (double)v), means!, (a, b) => Math.Abs(a - b) < 1e-5);
        using var plain = Evaluator.Predict(model, set);
        Assert.Equal(plain.Predicted, predictions.Predicted);
    }
}
