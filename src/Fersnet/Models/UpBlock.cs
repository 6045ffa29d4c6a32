using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Decoder block, the mirror of <see cref="ConvBlock"/>: 4x4 stride-2 transposed conv (doubles the side) + BN + ReLU, then 3x3 conv + BN + ReLU.</summary>
public sealed class UpBlock : Module<Tensor, Tensor>
{
    private readonly ConvTranspose2d up;
    private readonly BatchNorm2d bn;
    private readonly ConvBnRelu conv;

    public UpBlock(string name, long inChannels, long outChannels) : base(name)
    {
        up = ConvTranspose2d(inChannels, outChannels, 4, stride: 2, padding: 1, bias: false);
        bn = BatchNorm2d(outChannels);
        conv = new ConvBnRelu("conv", outChannels, outChannels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.call(functional.relu(bn.call(up.call(x))));   // (B,C,H,W) -> (B,C',2H,2W)
}
