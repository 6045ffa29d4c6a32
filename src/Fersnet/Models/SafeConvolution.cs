using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// A 2-D convolution computed with its output channels rounded up to a multiple of 16 (zero filters), the first ones
/// kept: the cure of <see cref="SafeConv2d"/> for a weight the caller owns (a fixed blur kernel, a layer whose parameters
/// keep <c>nn.Conv2d</c>'s names).
/// </summary>
/// <remarks>
/// libtorch 2.10's CPU convolution backward (TorchSharp 0.107, AVX-512) reads memory it never wrote when a 3x3 or larger
/// convolution has an output-channel count that is not a multiple of 16: the input gradient takes whatever the
/// allocator last left there, and it shows as a rare, unrepeatable NaN in training. The measurements are in
/// docs/RESULTS.md, section "Non-finite gradients in small trainings".
/// </remarks>
public static class SafeConvolution
{
    /// <summary>conv2d with one group, no dilation and a square kernel, as every caller here uses it.</summary>
    /// <param name="input">(B,Cin,H,W)</param>
    /// <param name="weight">(Cout,Cin,k,k)</param>
    /// <param name="bias">(Cout) or null</param>
    /// <returns>(B,Cout,H',W'), as <c>conv2d</c> gives</returns>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0)
    {
        long outChannels = weight.shape[0], padded = PaddedChannels(outChannels, weight.shape[^1]);
        if (padded == outChannels)
            return functional.conv2d(input, weight, bias, strides: [stride, stride], padding: [padding, padding]);   // (B,Cout,H',W')
        using var scope = NewDisposeScope();
        var extra = padded - outChannels;
        var paddedWeight = cat([weight, zeros([extra, .. weight.shape[1..]], weight.dtype, weight.device)], 0);       // (C',Cin,k,k)
        var paddedBias = bias is null ? null : cat([bias, zeros(extra, bias.dtype, bias.device)], 0);                 // (C')
        var output = functional.conv2d(input, paddedWeight, paddedBias, strides: [stride, stride], padding: [padding, padding]);  // (B,C',H',W')
        return output.narrow(1, 0, outChannels).MoveToOuterDisposeScope();                                              // (B,Cout,H',W')
    }

    /// <summary>The output channels a convolution is computed with: a multiple of 16, except for 1x1 kernels.</summary>
    public static long PaddedChannels(long outChannels, long kernelSize) =>
        kernelSize == 1 || outChannels % 16 == 0 ? outChannels : (outChannels + 15) / 16 * 16;
}
