using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>What a forward pass returns: recognition logits, and the synthesised face when a target was given.</summary>
/// <param name="FerLogits">(B,classes)</param>
/// <param name="Synthesized">(B,1,H,W) in [-1,1], or null for recognition-only passes and single-task models</param>
/// <param name="GateMeans">(G) each ConvFLU's update gate z averaged over the batch, in <see cref="MultiTaskModel.Gates"/>
/// order; only from <see cref="MultiTaskModel.ForwardMeasuringGates"/> of a model with gates, else null</param>
/// <param name="AttentionMask">(B,1,H,W) in [0,1]: where the face was re-drawn (1) or kept from the input (0); only
/// the <see cref="SynthesisDecoder.Skip"/> decoder has one.</param>
public sealed record MultiTaskOutput(Tensor FerLogits, Tensor? Synthesized, Tensor? GateMeans = null, Tensor? AttentionMask = null);

/// <summary>
/// Common shape of the three networks: <c>forward(x, targetLabel)</c> with x (B,1,H,W) in [-1,1] and
/// targetLabel (B,classes) one-hot or null (recognition only: the synthesis decoder is skipped).
/// </summary>
public abstract class MultiTaskModel(string name, ModelConfig config) : Module<Tensor, Tensor?, MultiTaskOutput>(name)
{
    public ModelConfig Config { get; } = config;

    /// <summary>The ConvFLU units, FER-side then FES-side per depth; empty for the baselines.</summary>
    public virtual IReadOnlyList<ConvFlu> Gates => [];

    /// <summary>
    /// The forward pass that also measures each ConvFLU's mean update gate (<see cref="MultiTaskOutput.GateMeans"/>):
    /// how much each branch takes from the other. Models without gates return their plain forward.
    /// </summary>
    public virtual MultiTaskOutput ForwardMeasuringGates(Tensor x, Tensor? targetLabel) => call(x, targetLabel);

    /// <summary>Test-time augmentation: <paramref name="probabilities"/> of <paramref name="faces"/> averaged with the
    /// recognition branch's probabilities of the faces' other <paramref name="views"/> (mirror image, shifted copies).</summary>
    /// <param name="probabilities">(B,classes) softmax of the faces' FER logits</param>
    /// <param name="faces">(B,1,H,W)</param>
    public Tensor ViewAveraged(Tensor probabilities, Tensor faces, TestTimeViews views) =>
        views.Count == 1 ? probabilities : ViewProbabilities(probabilities, faces, views).mean([0]);   // (B,classes)

    /// <summary>Each view's class probabilities, in <see cref="TestTimeViews.Views"/> order (the faces' own first),
    /// the other views read one view at a time: a batch of B, as the faces' own (one batch of all the views, (V-1)·B
    /// faces, was 8x slower on one CPU core: 393 against 48 s for ten views of PublicTest at width 16; its activations
    /// leave the cache).</summary>
    /// <param name="probabilities">(B,classes) softmax of the faces' FER logits</param>
    /// <param name="faces">(B,1,H,W)</param>
    /// <returns>(V,B,classes)</returns>
    public Tensor ViewProbabilities(Tensor probabilities, Tensor faces, TestTimeViews views)
    {
        var others = views.Count == 1 ? [] : views.OtherViews(faces).split(faces.shape[0]);            // V-1 × (B,1,H,W)
        return stack([probabilities, .. others.Select(Read)], 0);                                       // (V,B,classes)

        Tensor Read(Tensor view)                                                                        // (B,classes)
        {
            using var scope = NewDisposeScope();                    // one view's activations freed before the next's
            return nn.functional.softmax(call(view, null).FerLogits, 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>Parameters that only synthesis losses train (decoder); the rest is shared with recognition.</summary>
    public abstract IEnumerable<Parameter> SynthesisParameters();

    /// <summary>(B,C) the recognition head's pooled features before its classifier: the feature space of the
    /// Fréchet distance in <c>evaluate-synthesis</c>.</summary>
    public abstract Tensor RecognitionFeatures(Tensor x);
}

/// <summary>Builds a model from its config.</summary>
public static class ModelFactory
{
    public static MultiTaskModel Create(ModelConfig config)
    {
        config.Validate();
        return config.Kind switch
        {
            ModelKind.Single => new SingleTaskNet(config),
            ModelKind.Hard => new HardSharingNet(config),
            ModelKind.Fersnet => new FersNet(config),
            _ => throw new ArgumentOutOfRangeException(nameof(config)),
        };
    }

    public static ModelKind ParseKind(string text) => text.ToLowerInvariant() switch
    {
        "single" or "single-task" or "singletask" => ModelKind.Single,
        "hard" or "hard-sharing" => ModelKind.Hard,
        "fersnet" => ModelKind.Fersnet,
        _ => throw new ArgumentException($"unknown model '{text}' (known: fersnet, hard, single)"),
    };
}
