using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>What the discriminator says of a batch of faces.</summary>
/// <param name="Realism">(B,1,p,p) one realism score per patch</param>
/// <param name="ClassLogits">(B,classes) expression logits of the auxiliary head (StarGAN's D_cls)</param>
public sealed record DiscriminatorOutput(Tensor Realism, Tensor ClassLogits);

/// <summary>
/// PatchGAN discriminator: three 4x4 stride-2 convolutions with instance norm and LeakyReLU(0.2) (H → H/8), then a
/// 3x3 conv to a realism map of patches and, as in StarGAN, a conv over the whole map to expression logits.
/// </summary>
public sealed class PatchDiscriminator : Module<Tensor, DiscriminatorOutput>
{
    private readonly Sequential main;
    private readonly SafeConv2d patch_head;
    private readonly SafeConv2d class_head;

    public PatchDiscriminator(ModelConfig config) : base(nameof(PatchDiscriminator))
    {
        long width = config.Width;
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        long inChannels = 1;
        for (int layer = 0; layer < 3; layer++)
        {
            long outChannels = config.ConstantWidth ? width : width << layer;
            layers.Add(($"conv{layer}", new PlainSafeConv2d($"conv{layer}", inChannels, outChannels, 4, stride: 2, padding: 1)));
            if (layer > 0) layers.Add(($"norm{layer}", InitialisedInstanceNorm(outChannels)));
            layers.Add(($"act{layer}", LeakyReLU(0.2)));
            inChannels = outChannels;
        }
        main = Sequential(layers);
        int mapSize = config.ImageSize / 8;
        patch_head = new SafeConv2d("patch_head", inChannels, 1, 3, padding: 1, bias: false);
        class_head = new SafeConv2d("class_head", inChannels, config.Classes, mapSize, bias: false);
        RegisterComponents();
    }

    /// <summary>Instance norm with its affine parameters set explicitly (1, 0) rather than trusting the runtime's defaults.</summary>
    private static InstanceNorm2d InitialisedInstanceNorm(long channels)
    {
        var norm = InstanceNorm2d(channels, affine: true);
        using (no_grad())
        {
            norm.weight!.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }

    public override DiscriminatorOutput forward(Tensor image)
    {
        var features = main.call(image);                                  // (B,C,H/8,W/8)
        var realism = patch_head.call(features);                          // (B,1,H/8,W/8)
        var classes = class_head.call(features).flatten(1);               // (B,classes)
        return new DiscriminatorOutput(realism, classes);
    }
}
