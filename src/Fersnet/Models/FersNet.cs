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
/// </summary>
public sealed class FersNet : MultiTaskModel
{
    private readonly ConvBnRelu stem;
    private readonly ModuleList<ConvBlock> fer_blocks;
    private readonly ModuleList<ConvBlock> fes_blocks;
    private readonly ModuleList<ConvFlu> fer_flus;
    private readonly ModuleList<ConvFlu> fes_flus;
    private readonly FerHead fer_head;
    private readonly FesDecoder fes_decoder;

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
            fer_blocks.Add(new ConvBlock($"fer_block{depth}", inChannels, channels));
            fes_blocks.Add(new ConvBlock($"fes_block{depth}", inChannels, channels));
            fer_flus.Add(new ConvFlu($"fer_flu{depth}", channels, config.GateBias));
            fes_flus.Add(new ConvFlu($"fes_flu{depth}", channels, config.GateBias));
            inChannels = channels;
        }
        fer_head = new FerHead("fer_head", inChannels, config.Classes, config.Dropout);
        fes_decoder = new FesDecoder("fes_decoder", config);
        RegisterComponents();
    }

    public override IReadOnlyList<ConvFlu> Gates => [.. fer_flus, .. fes_flus];

    /// <summary>
    /// When false, the FES-side gates see the FER features detached: synthesis losses then shape only the FES
    /// branch and what recognition chooses to take from it, never the recognition features themselves.
    /// </summary>
    public bool SynthesisGradientsIntoFer { get; set; } = true;

    public override IEnumerable<Parameter> SynthesisParameters() => fes_decoder.parameters();

    /// <summary>
    /// The FES-side unit of the last depth feeds only the decoder: a recognition-only pass (no target) skips it,
    /// unless its gate statistics are being collected.
    /// </summary>
    private bool SynthesisNeeds(int depth, Tensor? targetLabel) =>
        targetLabel is not null || depth < ModelConfig.Blocks - 1 || fes_flus[depth].TrackGate;

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel)
    {
        var shared = MemoryLayout.Preferred(stem.call(x));                // (B,w,H,W)
        Tensor fer = shared, fes = shared;
        for (int depth = 0; depth < ModelConfig.Blocks; depth++)
        {
            fer = fer_blocks[depth].call(fer);                            // (B,C_d,H/2^(d+1),W/2^(d+1))
            fes = fes_blocks[depth].call(fes);                            // same shape
            var ferSeenBySynthesis = SynthesisGradientsIntoFer ? fer : fer.detach();
            (fer, fes) = (fer_flus[depth].call(fer, fes),
                          SynthesisNeeds(depth, targetLabel) ? fes_flus[depth].call(fes, ferSeenBySynthesis) : fes);
        }
        var logits = fer_head.call(fer);                                  // (B,classes)
        var image = targetLabel is null ? null : fes_decoder.call(fes, targetLabel);   // (B,1,H,W)
        return new MultiTaskOutput(logits, image);
    }
}
