using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// Hard parameter sharing baseline: one trunk (stem + four blocks) feeds both the FER head and the FES decoder. With
/// the <see cref="SynthesisDecoder.Skip"/> decoder the decoder reads the trunk's maps down to depth 2 (the same skips
/// as FERSNet's, from the one shared trunk), so the ablation compares like with like.
/// </summary>
public sealed class HardSharingNet : MultiTaskModel
{
    private readonly Trunk trunk;
    private readonly FerHead fer_head;
    private readonly FesDecoder? fes_decoder;
    private readonly SkipDecoder? fes_skip_decoder;

    public HardSharingNet(ModelConfig config) : base(nameof(HardSharingNet), config)
    {
        trunk = new Trunk("trunk", config);
        fer_head = new FerHead("fer_head", config.BlockWidth(ModelConfig.Blocks - 1), config.Classes, config.Dropout);
        if (config.Decoder == SynthesisDecoder.Skip) fes_skip_decoder = new SkipDecoder("fes_skip_decoder", config);
        else fes_decoder = new FesDecoder("fes_decoder", config);
        RegisterComponents();
    }

    public override IEnumerable<Parameter> SynthesisParameters() =>
        fes_skip_decoder?.parameters() ?? fes_decoder!.parameters();

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel)
    {
        var maps = trunk.Pyramid(x);                                      // stem (B,w,H,W) … depth 3 (B,C,H/16,W/16)
        var logits = fer_head.call(maps[^1]);                             // (B,classes)
        if (targetLabel is null) return new MultiTaskOutput(logits, null);
        if (fes_skip_decoder is null) return new MultiTaskOutput(logits, fes_decoder!.call(maps[^1], targetLabel));   // (B,1,H,W)
        var drawn = fes_skip_decoder.call(maps.Take(SkipDecoder.FeatureCount).ToArray(), targetLabel, x);   // (B,1,H,W)
        return new MultiTaskOutput(logits, drawn.Face, AttentionMask: drawn.AttentionMask);
    }

    public override Tensor RecognitionFeatures(Tensor x) => fer_head.Pooled(trunk.call(x));   // (B,C)
}
