using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>Stem (3x3 conv + BN + ReLU) and the four blocks of one branch: the whole feature extractor of the baselines.</summary>
public sealed class Trunk : Module<Tensor, Tensor>
{
    private readonly ConvBnRelu stem;
    private readonly ModuleList<ConvBlock> blocks;

    public Trunk(string name, ModelConfig config) : base(name)
    {
        stem = new ConvBnRelu("stem", 1, config.Width);
        blocks = new ModuleList<ConvBlock>();
        long inChannels = config.Width;
        for (int depth = 0; depth < ModelConfig.Blocks; depth++)
        {
            blocks.Add(new ConvBlock($"block{depth}", inChannels, config.BlockWidth(depth), config.BlockConvs));
            inChannels = config.BlockWidth(depth);
        }
        RegisterComponents();
    }

    /// <param name="x">(B,1,H,W)</param>
    /// <returns>(B,C_3,H/16,W/16)</returns>
    public override Tensor forward(Tensor x) => Pyramid(x)[^1];

    /// <summary>The stem's map and every block's, finest first: (B,w,H,W), (B,C_0,H/2,W/2), …, (B,C_3,H/16,W/16).</summary>
    public IReadOnlyList<Tensor> Pyramid(Tensor x)
    {
        var features = MemoryLayout.Preferred(stem.call(x));              // (B,w,H,W)
        var maps = new List<Tensor> { features };
        foreach (var block in blocks) maps.Add(features = block.call(features));   // halves the side four times
        return maps;
    }
}
