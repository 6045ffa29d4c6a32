using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// A convolution with <c>nn.Conv2d</c>'s parameters (<c>weight</c>, <c>bias</c>: the same names, shapes and initial
/// draws) computed through <see cref="SafeConvolution"/>: for layers whose checkpoints were written with a plain
/// <c>Conv2d</c>, which <see cref="SafeConv2d"/>'s padded parameters could not load.
/// </summary>
public sealed class PlainSafeConv2d : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long _stride;
    private readonly long _padding;

    public PlainSafeConv2d(string name, long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0)
        : base(name)
    {
        using (var initial = Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding))
        using (var initialWeight = initial.weight!.detach())
        using (var initialBias = initial.bias!.detach())
        {
            weight = Parameter(initialWeight.clone());                                // (Cout,Cin,k,k)
            bias = Parameter(initialBias.clone());                                    // (Cout)
        }
        (_stride, _padding) = (stride, padding);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => SafeConvolution.Conv2d(input, weight, bias, _stride, _padding);   // (B,Cin,H,W) -> (B,Cout,H',W')
}
