using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// One stage of <see cref="SkipDecoder"/> (U-Net style): a 4x4 stride-2 transposed conv + BN + ReLU doubles the side,
/// the encoder's features of that side (the skip) and the target label tiled to a map join it, and a 3x3 conv + BN +
/// ReLU mixes the three.
/// </summary>
public sealed class SkipUpBlock : Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly ConvTranspose2d up;
    private readonly BatchNorm2d bn;
    private readonly ConvBnRelu conv;

    public SkipUpBlock(string name, long inChannels, long skipChannels, long outChannels, long classes) : base(name)
    {
        up = ConvTranspose2d(inChannels, outChannels, 4, stride: 2, padding: 1, bias: false);
        bn = BatchNorm2d(outChannels);
        conv = new ConvBnRelu("conv", outChannels + skipChannels + classes, outChannels);
        RegisterComponents();
    }

    /// <param name="x">(B,C,s,s) the coarser map</param>
    /// <param name="skip">(B,C_skip,2s,2s) the encoder's features of the finer side</param>
    /// <param name="labelMap">(B,classes,2s,2s) the target label, tiled</param>
    /// <returns>(B,C',2s,2s)</returns>
    public override Tensor forward(Tensor x, Tensor skip, Tensor labelMap)
    {
        var upsampled = functional.relu(bn.call(up.call(x)));                     // (B,C',2s,2s)
        var joined = MemoryLayout.Preferred(cat([upsampled, skip, labelMap], 1));   // (B,C'+C_skip+classes,2s,2s)
        return conv.call(joined);                                                   // (B,C',2s,2s)
    }
}
