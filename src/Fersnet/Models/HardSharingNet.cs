using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Hard parameter sharing baseline: one trunk (stem + four blocks) feeds both the FER head and the FES decoder.</summary>
public sealed class HardSharingNet : MultiTaskModel
{
    private readonly Trunk trunk;
    private readonly FerHead fer_head;
    private readonly FesDecoder fes_decoder;

    public HardSharingNet(ModelConfig config) : base(nameof(HardSharingNet), config)
    {
        trunk = new Trunk("trunk", config);
        fer_head = new FerHead("fer_head", config.BlockWidth(ModelConfig.Blocks - 1), config.Classes, config.Dropout);
        fes_decoder = new FesDecoder("fes_decoder", config);
        RegisterComponents();
    }

    public override IEnumerable<Parameter> SynthesisParameters() => fes_decoder.parameters();

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel)
    {
        var features = trunk.call(x);                                     // (B,C,H/16,W/16)
        var logits = fer_head.call(features);                             // (B,classes)
        var image = targetLabel is null ? null : fes_decoder.call(features, targetLabel);   // (B,1,H,W)
        return new MultiTaskOutput(logits, image);
    }
}
