using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Hard parameter sharing baseline: one trunk (stem + four blocks) feeds both the FER head and the FES decoder.</summary>
public sealed class HardSharingNet : MultiTaskModel
{
    private readonly ConvBnRelu stem;
    private readonly ModuleList<ConvBlock> blocks;
    private readonly FerHead fer_head;
    private readonly FesDecoder fes_decoder;

    public HardSharingNet(ModelConfig config) : base(nameof(HardSharingNet), config)
    {
        stem = new ConvBnRelu("stem", 1, config.Width);
        blocks = new ModuleList<ConvBlock>();
        long inChannels = config.Width;
        for (int depth = 0; depth < ModelConfig.Blocks; depth++)
        {
            blocks.Add(new ConvBlock($"block{depth}", inChannels, config.BlockWidth(depth)));
            inChannels = config.BlockWidth(depth);
        }
        fer_head = new FerHead("fer_head", inChannels, config.Classes, config.Dropout);
        fes_decoder = new FesDecoder("fes_decoder", config);
        RegisterComponents();
    }

    public override IEnumerable<Parameter> SynthesisParameters() => fes_decoder.parameters();

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel)
    {
        var features = stem.call(x);                                      // (B,w,H,W)
        foreach (var block in blocks) features = block.call(features);   // (B,8w,H/16,W/16)
        var logits = fer_head.call(features);                             // (B,classes)
        var image = targetLabel is null ? null : fes_decoder.call(features, targetLabel);   // (B,1,H,W)
        return new MultiTaskOutput(logits, image);
    }
}
