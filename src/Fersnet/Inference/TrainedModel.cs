using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Inference;

/// <summary>A trained model loaded from a checkpoint, ready for evaluation or inference (eval mode).</summary>
public sealed class TrainedModel : IDisposable
{
    public MultiTaskModel Model { get; }
    public LabelSet Labels { get; }
    public CheckpointHeader Header { get; }
    public string Path { get; }

    private TrainedModel(MultiTaskModel model, LabelSet labels, CheckpointHeader header, string path)
    {
        (Model, Labels, Header, Path) = (model, labels, header, path);
    }

    /// <param name="device">Where the model runs (default: the CPU); see <see cref="Runtime.ComputeDevice"/>.</param>
    /// <exception cref="CheckpointException">Missing, damaged or mismatched checkpoint; the message names the file.</exception>
    public static TrainedModel Load(string path, Device? device = null)
    {
        var (model, header) = Checkpoint.LoadModel(path);
        model.to(device ?? CPU).eval();
        return new TrainedModel(model, new LabelSet(header.Labels), header, path);
    }

    public void Dispose() => Model.Dispose();
}
