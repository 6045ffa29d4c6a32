using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// FERSNet (Zhao et al., ICPR 2020): a shared stem feeds a recognition (FER) and a synthesis (FES) branch of four
/// blocks each. After every block a pair of ConvFLUs lets each branch take the useful part of the other's features:
/// <code>
/// F_fer, F_fes ← stem(x)
/// for d in 0..3:  F_fer, F_fes ← block_fer[d](F_fer), block_fes[d](F_fes)
///                 F_fer, F_fes ← flu_fer[d](F_fer, F_fes), flu_fes[d](F_fes, F_fer)
/// logits ← fer_head(F_fer);  image ← fes_decoder(F_fes, target)
/// </code>
/// With the <see cref="SynthesisDecoder.Skip"/> decoder the image is drawn instead from the synthesis features of
/// every side down to depth 2 (U-Net skips, the label at every stage, an attention mask over the input):
/// <c>image ← fes_skip_decoder([stem, F_fes^0, F_fes^1, F_fes^2], target, x)</c>; the FES branch still runs its
/// fourth block, whose features the recognition branch's last ConvFLU gates in.
/// </summary>
public sealed class FersNet : MultiTaskModel
{
    private readonly ConvBnRelu stem;
    private readonly ModuleList<ConvBlock> fer_blocks;
    private readonly ModuleList<ConvBlock> fes_blocks;
    private readonly ModuleList<ConvFlu> fer_flus;
    private readonly ModuleList<ConvFlu> fes_flus;
    private readonly FerHead fer_head;
    private readonly FesDecoder? fes_decoder;
    private readonly SkipDecoder? fes_skip_decoder;

    public FersNet(ModelConfig config) : base(nameof(FersNet), config)
    {
        stem = new ConvBnRelu("stem", 1, config.Width);
        fer_blocks = new ModuleList<ConvBlock>();
        fes_blocks = new ModuleList<ConvBlock>();
        fer_flus = new ModuleList<ConvFlu>();
        fes_flus = new ModuleList<ConvFlu>();
        long inChannels = config.Width;
        for (int depth = 0; depth < ModelConfig.Blocks; depth++)
        {
            long channels = config.BlockWidth(depth);
            fer_blocks.Add(new ConvBlock($"fer_block{depth}", inChannels, channels, config.BlockConvs));
            fes_blocks.Add(new ConvBlock($"fes_block{depth}", inChannels, channels, config.BlockConvs));
            fer_flus.Add(new ConvFlu($"fer_flu{depth}", channels, config.GateBias));
            fes_flus.Add(new ConvFlu($"fes_flu{depth}", channels, config.GateBias));
            inChannels = channels;
        }
        fer_head = new FerHead("fer_head", inChannels, config.Classes, config.Dropout);
        if (config.Decoder == SynthesisDecoder.Skip) fes_skip_decoder = new SkipDecoder("fes_skip_decoder", config);
        else fes_decoder = new FesDecoder("fes_decoder", config);
        RegisterComponents();
    }

    public override IReadOnlyList<ConvFlu> Gates => [.. fer_flus, .. fes_flus];

    /// <summary>
    /// When false, the FES-side gates see the FER features detached: synthesis losses then shape only the FES
    /// branch and what recognition chooses to take from it, never the recognition features themselves.
    /// </summary>
    public bool SynthesisGradientsIntoFer { get; set; } = true;

    public override IEnumerable<Parameter> SynthesisParameters() =>
        fes_skip_decoder?.parameters() ?? fes_decoder!.parameters();

    /// <summary>
    /// The FES-side unit of the last depth feeds only the bottleneck decoder: a pass that does not draw with it skips
    /// the unit, unless its gate is being measured.
    /// </summary>
    private bool SynthesisNeeds(int depth, Tensor? targetLabel, bool measureGates) =>
        (targetLabel is not null && fes_decoder is not null) || depth < ModelConfig.Blocks - 1 || measureGates;

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel) => Run(x, targetLabel, measureGates: false);

    public override MultiTaskOutput ForwardMeasuringGates(Tensor x, Tensor? targetLabel) => Run(x, targetLabel, measureGates: true);

    private MultiTaskOutput Run(Tensor x, Tensor? targetLabel, bool measureGates)
    {
        var shared = MemoryLayout.Preferred(stem.call(x));                // (B,w,H,W)
        Tensor fer = shared, fes = shared;
        var zFer = new List<Tensor>();
        var zFes = new List<Tensor>();
        var skips = new List<Tensor> { shared };                          // the synthesis maps of every side, finest first
        for (int depth = 0; depth < ModelConfig.Blocks; depth++)
        {
            fer = fer_blocks[depth].call(fer);                            // (B,C_d,H/2^(d+1),W/2^(d+1))
            fes = fes_blocks[depth].call(fes);                            // same shape
            var ferSeenBySynthesis = SynthesisGradientsIntoFer ? fer : fer.detach();
            var (ferNext, zr) = fer_flus[depth].ForwardWithGate(fer, fes);
            if (SynthesisNeeds(depth, targetLabel, measureGates))
            {
                var (fesNext, zs) = fes_flus[depth].ForwardWithGate(fes, ferSeenBySynthesis);
                fes = fesNext;
                if (measureGates) zFes.Add(zs.mean());                    // ()
            }
            fer = ferNext;
            if (measureGates) zFer.Add(zr.mean());                        // ()
            if (depth <= ModelConfig.SkipDecoderDepth) skips.Add(fes);
        }
        var logits = fer_head.call(fer);                                  // (B,classes)
        var gates = measureGates ? stack([.. zFer, .. zFes]) : null;     // (2·depths)
        if (targetLabel is null) return new MultiTaskOutput(logits, null, gates);
        if (fes_skip_decoder is null) return new MultiTaskOutput(logits, fes_decoder!.call(fes, targetLabel), gates);   // (B,1,H,W)
        var drawn = fes_skip_decoder.call(skips, targetLabel, x);        // (B,1,H,W) face and attention mask
        return new MultiTaskOutput(logits, drawn.Face, gates, drawn.AttentionMask);
    }

    public override Tensor RecognitionFeatures(Tensor x)
    {
        var shared = MemoryLayout.Preferred(stem.call(x));                // (B,w,H,W)
        Tensor fer = shared, fes = shared;
        for (int depth = 0; depth < ModelConfig.Blocks; depth++)
        {
            fer = fer_blocks[depth].call(fer);
            fes = fes_blocks[depth].call(fes);
            (fer, fes) = (fer_flus[depth].call(fer, fes), depth < ModelConfig.Blocks - 1 ? fes_flus[depth].call(fes, fer) : fes);
        }
        return fer_head.Pooled(fer);                                      // (B,C)
    }
}
