using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Single-task baseline: the FER branch alone (stem, four blocks, FER head). It never synthesises.</summary>
public sealed class SingleTaskNet : MultiTaskModel
{
    private readonly ConvBnRelu stem;
    private readonly ModuleList<ConvBlock> blocks;
    private readonly FerHead fer_head;

    public SingleTaskNet(ModelConfig config) : base(nameof(SingleTaskNet), config)
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
        RegisterComponents();
    }

    public override IEnumerable<Parameter> SynthesisParameters() => [];

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel)
    {
        var features = stem.call(x);                                      // (B,w,H,W)
        foreach (var block in blocks) features = block.call(features);   // (B,8w,H/16,W/16)
        return new MultiTaskOutput(fer_head.call(features), null);        // (B,classes)
    }
}
