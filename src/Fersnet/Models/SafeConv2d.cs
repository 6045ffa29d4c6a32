using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// A 2-D convolution whose output-channel count need not be a multiple of 16: its parameters hold the channels rounded
/// up (see <see cref="SafeConvolution"/> for the libtorch bug this avoids) and it keeps the first ones: the models'
/// image-producing (C→1), class-scoring and narrow layers (the discriminator's strided ones are <see cref="PlainSafeConv2d"/>).
/// </summary>
public sealed class SafeConv2d : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly long _outChannels;

    public SafeConv2d(string name, long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(name)
    {
        _outChannels = outChannels;
        conv = Conv2d(inChannels, SafeConvolution.PaddedChannels(outChannels, kernelSize), kernelSize, stride: stride, padding: padding, bias: bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var output = conv.call(input);                                              // (B,C',H,W), C' >= C
        return output.shape[1] == _outChannels ? output : output.narrow(1, 0, _outChannels);  // (B,C,H,W)
    }
}
