using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// A 2-D convolution whose output-channel count need not be a multiple of 16.
/// </summary>
/// <remarks>
/// libtorch 2.10's CPU convolution backward (TorchSharp 0.107, AVX-512) intermittently returns NaN input
/// gradients when a 3x3 or larger convolution has an output-channel count that is not a multiple of 16: every
/// image-producing (C→1) or class-scoring last layer hit it. Computing such a layer with the output channels
/// rounded up to 16 and keeping the first ones removes it. Counts that are already multiples of 16, and 1x1
/// kernels, use the convolution as it is.
/// </remarks>
public sealed class SafeConv2d : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly long _outChannels;

    public SafeConv2d(string name, long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true)
        : base(name)
    {
        _outChannels = outChannels;
        conv = Conv2d(inChannels, PaddedChannels(outChannels, kernelSize), kernelSize, stride: stride, padding: padding, bias: bias);
        RegisterComponents();
    }

    public static long PaddedChannels(long outChannels, long kernelSize) =>
        kernelSize == 1 || outChannels % 16 == 0 ? outChannels : (outChannels + 15) / 16 * 16;

    public override Tensor forward(Tensor input)
    {
        var output = conv.call(input);                                              // (B,C',H,W), C' >= C
        return output.shape[1] == _outChannels ? output : output.narrow(1, 0, _outChannels);  // (B,C,H,W)
    }
}
