using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// Synthesis head: the target expression (one-hot) goes through a linear layer and a transposed convolution to a
/// map of the bottleneck's size, is concatenated with the FES features, and a decoder mirroring the branch draws
/// the face with the target expression.
/// </summary>
public sealed class FesDecoder : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear label_fc;
    private readonly ConvTranspose2d label_up;
    private readonly ModuleList<UpBlock> blocks;
    private readonly SafeConv2d to_image;

    public FesDecoder(string name, ModelConfig config) : base(name)
    {
        long bottleneck = config.BlockWidth(ModelConfig.Blocks - 1);
        label_fc = Linear(config.Classes, bottleneck);
        label_up = ConvTranspose2d(bottleneck, bottleneck, config.BottleneckSize);
        blocks = new ModuleList<UpBlock>();
        long inChannels = 2 * bottleneck;
        for (int block = ModelConfig.Blocks - 2; block >= -1; block--)
        {
            long outChannels = config.BlockWidth(Math.Max(block, 0));
            blocks.Add(new UpBlock($"up{ModelConfig.Blocks - 2 - block}", inChannels, outChannels));
            inChannels = outChannels;
        }
        to_image = new SafeConv2d("to_image", inChannels, 1, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="features">(B,C,s,s) FES branch features</param>
    /// <param name="targetLabel">(B,classes) one-hot (or any mix) of the expression to draw</param>
    /// <returns>(B,1,H,W) image in [-1,1]</returns>
    public override Tensor forward(Tensor features, Tensor targetLabel)
    {
        var label = functional.relu(label_fc.call(targetLabel));                 // (B,C)
        var labelMap = label_up.call(label.view(label.shape[0], -1, 1, 1));      // (B,C,s,s)
        var x = MemoryLayout.Preferred(cat([features, labelMap], 1));            // (B,2C,s,s)
        foreach (var block in blocks) x = block.call(x);                         // (B,w,H,W)
        return tanh(to_image.call(x));                                           // (B,1,H,W)
    }
}
