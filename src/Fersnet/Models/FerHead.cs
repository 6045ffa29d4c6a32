using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Recognition head: conv + BN + ReLU, global average pooling, dropout, linear layer to the class logits.</summary>
public sealed class FerHead : Module<Tensor, Tensor>
{
    private readonly ConvBnRelu conv;
    private readonly AdaptiveAvgPool2d pool;
    private readonly Dropout dropout;
    private readonly Linear fc;

    public FerHead(string name, long channels, long classes, double dropoutRate) : base(name)
    {
        conv = new ConvBnRelu("conv", channels, channels);
        pool = AdaptiveAvgPool2d(1);
        dropout = Dropout(dropoutRate);
        fc = Linear(channels, classes);
        RegisterComponents();
    }

    /// <param name="features">(B,C,s,s)</param>
    /// <returns>(B,classes) logits</returns>
    public override Tensor forward(Tensor features) => fc.call(dropout.call(Pooled(features)));   // (B,classes)

    /// <summary>(B,C) the pooled features the classifier reads (the network's penultimate layer).</summary>
    public Tensor Pooled(Tensor features) => pool.call(conv.call(features)).flatten(1);
}
