using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// One stage of <see cref="SkipDecoder"/> (U-Net style): nearest-neighbour upsampling and a 3x3 conv + BN + ReLU double
/// the side (no transposed convolution: its uneven overlaps drew stripe and checkerboard patterns),
/// the encoder's features of that side (the skip) and the target label tiled to a map join it, and a 3x3 conv + BN +
/// ReLU mixes the three.
/// </summary>
public sealed class SkipUpBlock : Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Upsample upsample;
    private readonly ConvBnRelu up;
    private readonly ConvBnRelu conv;

    public SkipUpBlock(string name, long inChannels, long skipChannels, long outChannels, long classes) : base(name)
    {
        upsample = Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest);
        up = new ConvBnRelu("up", inChannels, outChannels);
        conv = new ConvBnRelu("conv", outChannels + skipChannels + classes, outChannels);
        RegisterComponents();
    }

    /// <param name="x">(B,C,s,s) the coarser map</param>
    /// <param name="skip">(B,C_skip,2s,2s) the encoder's features of the finer side</param>
    /// <param name="labelMap">(B,classes,2s,2s) the target label, tiled</param>
    /// <returns>(B,C',2s,2s)</returns>
    public override Tensor forward(Tensor x, Tensor skip, Tensor labelMap)
    {
        var upsampled = up.call(upsample.call(x));                                 // (B,C',2s,2s)
        var joined = MemoryLayout.Preferred(cat([upsampled, skip, labelMap], 1));   // (B,C'+C_skip+classes,2s,2s)
        return conv.call(joined);                                                   // (B,C',2s,2s)
    }
}
