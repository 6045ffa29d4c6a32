using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>One block of a branch: two 3x3 conv + BN + ReLU, then 2x2 max-pooling (halves the side).</summary>
public sealed class ConvBlock : Module<Tensor, Tensor>
{
    private readonly ConvBnRelu conv1;
    private readonly ConvBnRelu conv2;
    private readonly MaxPool2d pool;

    public ConvBlock(string name, long inChannels, long outChannels) : base(name)
    {
        conv1 = new ConvBnRelu("conv1", inChannels, outChannels);
        conv2 = new ConvBnRelu("conv2", outChannels, outChannels);
        pool = MaxPool2d(2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => pool.call(conv2.call(conv1.call(x)));   // (B,C,H,W) -> (B,C',H/2,W/2)
}
