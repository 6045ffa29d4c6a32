using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>3x3 convolution (no bias: batch norm follows), batch norm, ReLU. The stem and the heads use it.</summary>
public sealed class ConvBnRelu : Module<Tensor, Tensor>
{
    private readonly SafeConv2d conv;
    private readonly BatchNorm2d bn;

    public ConvBnRelu(string name, long inChannels, long outChannels) : base(name)
    {
        conv = new SafeConv2d("conv", inChannels, outChannels, 3, padding: 1, bias: false);
        bn = BatchNorm2d(outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => functional.relu(bn.call(conv.call(x)));
}
