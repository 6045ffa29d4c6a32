using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>What a synthesis decoder draws: the face and, for <see cref="SkipDecoder"/>, its attention mask.</summary>
/// <param name="Face">(B,1,H,W) in [-1,1]</param>
/// <param name="AttentionMask">(B,1,H,W) in [0,1], or null for a decoder without one</param>
public sealed record SynthesisImage(Tensor Face, Tensor? AttentionMask);

/// <summary>
/// The second synthesis decoder (<see cref="SynthesisDecoder.Skip"/>): identity gets a path around the bottleneck and
/// the label a say at every scale. It starts from the synthesis branch's depth-2 features (6x6 at 48 px), climbs back
/// to the input's side through <see cref="SkipUpBlock"/>s that take the branch's (ConvFLU-gated) features of each side
/// and the tiled target label, and draws a colour map C and an attention mask A (GANimation):
/// <code>
/// h   ← conv([F_2, label])                         F_d: synthesis features of depth d, F_stem: the stem's
/// h   ← up_k(h, F_{1}, label), up_k(h, F_{0}, label), up_k(h, F_stem, label)
/// C   ← tanh(conv(h));  A ← σ(conv(h))
/// face = A ⊙ C + (1 − A) ⊙ x                      where A = 0 the input stays as it is
/// </code>
/// </summary>
public sealed class SkipDecoder : Module<IReadOnlyList<Tensor>, Tensor, Tensor, SynthesisImage>
{
    private readonly ConvBnRelu entry;
    private readonly ModuleList<SkipUpBlock> blocks;
    private readonly SafeConv2d to_colour;
    private readonly SafeConv2d to_mask;

    public SkipDecoder(string name, ModelConfig config) : base(name)
    {
        int depth = ModelConfig.SkipDecoderDepth;
        long classes = config.Classes;
        long inChannels = config.BlockWidth(depth);
        entry = new ConvBnRelu("entry", inChannels + classes, inChannels);
        blocks = new ModuleList<SkipUpBlock>();
        for (int skip = depth - 1; skip >= -1; skip--)
        {
            long skipChannels = skip >= 0 ? config.BlockWidth(skip) : config.Width;   // -1: the stem
            blocks.Add(new SkipUpBlock($"up{depth - 1 - skip}", inChannels, skipChannels, skipChannels, classes));
            inChannels = skipChannels;
        }
        to_colour = new SafeConv2d("to_colour", inChannels, 1, 3, padding: 1);
        to_mask = new SafeConv2d("to_mask", inChannels, 1, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>How many feature maps <see cref="forward"/> takes: the stem's, then depth 0 to <see cref="ModelConfig.SkipDecoderDepth"/>.</summary>
    public static int FeatureCount => ModelConfig.SkipDecoderDepth + 2;

    /// <param name="features">the synthesis branch's maps, finest first: stem (B,w,H,W), depth 0 (B,C_0,H/2,W/2), …,
    /// depth 2 (B,C_2,H/8,W/8)</param>
    /// <param name="targetLabel">(B,classes) one-hot (or any mix) of the expression to draw</param>
    /// <param name="input">(B,1,H,W) the face being re-drawn, in [-1,1]</param>
    public override SynthesisImage forward(IReadOnlyList<Tensor> features, Tensor targetLabel, Tensor input)
    {
        if (features.Count != FeatureCount) throw new ArgumentException($"expected {FeatureCount} feature maps, got {features.Count}");
        var label = targetLabel.view(targetLabel.shape[0], targetLabel.shape[1], 1, 1);           // (B,classes,1,1)
        Tensor Tiled(Tensor map) => label.expand(-1, -1, map.shape[2], map.shape[3]);              // (B,classes,s,s)

        var deepest = features[^1];                                                                // (B,C_2,H/8,W/8)
        var h = entry.call(MemoryLayout.Preferred(cat([deepest, Tiled(deepest)], 1)));           // (B,C_2,H/8,W/8)
        for (int stage = 0; stage < blocks.Count; stage++)
        {
            var skip = features[features.Count - 2 - stage];                                       // (B,C_skip,2s,2s)
            h = blocks[stage].call(h, skip, Tiled(skip));                                          // (B,C_skip,2s,2s)
        }
        var colour = tanh(to_colour.call(h));                                                      // (B,1,H,W) C
        var mask = sigmoid(to_mask.call(h));                                                       // (B,1,H,W) A
        var face = Compose(colour, mask, input);                                                   // (B,1,H,W)
        return new SynthesisImage(face, mask);
    }

    /// <summary>face = A ⊙ C + (1 − A) ⊙ x: the composition on its own, for tests and readers.</summary>
    public static Tensor Compose(Tensor colour, Tensor mask, Tensor input) => input.lerp(colour, mask);
}
