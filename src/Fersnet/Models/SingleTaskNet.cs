using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Single-task baseline: the FER branch alone (stem, four blocks, FER head). It never synthesises.</summary>
public sealed class SingleTaskNet : MultiTaskModel
{
    private readonly Trunk trunk;
    private readonly FerHead fer_head;

    public SingleTaskNet(ModelConfig config) : base(nameof(SingleTaskNet), config)
    {
        trunk = new Trunk("trunk", config);
        fer_head = new FerHead("fer_head", config.BlockWidth(ModelConfig.Blocks - 1), config.Classes, config.Dropout);
        RegisterComponents();
    }

    public override IEnumerable<Parameter> SynthesisParameters() => [];

    public override MultiTaskOutput forward(Tensor x, Tensor? targetLabel)
    {
        var features = trunk.call(x);                                     // (B,C,H/16,W/16)
        return new MultiTaskOutput(fer_head.call(features), null);        // (B,classes)
    }

    public override Tensor RecognitionFeatures(Tensor x) => fer_head.Pooled(trunk.call(x));   // (B,C)
}
