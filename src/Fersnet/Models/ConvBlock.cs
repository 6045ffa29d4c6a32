using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Fersnet.Models;

/// <summary>
/// One block of a branch: two 3x3 conv + BN + ReLU (the paper's), then any <c>deeper</c> ones of a deeper network
/// (<see cref="ModelConfig.ConvsPerBlock"/>), then 2x2 max-pooling (halves the side).
/// </summary>
public sealed class ConvBlock : Module<Tensor, Tensor>
{
    private readonly ConvBnRelu conv1;
    private readonly ConvBnRelu conv2;
    private readonly ModuleList<ConvBnRelu> deeper;
    private readonly MaxPool2d pool;

    /// <param name="convs">3x3 convolutions in the block, at least two; two keep the weights' names of every checkpoint
    /// written before the count could change.</param>
    public ConvBlock(string name, long inChannels, long outChannels, int convs = ModelConfig.PaperConvsPerBlock) : base(name)
    {
        if (convs < ModelConfig.PaperConvsPerBlock) throw new ArgumentOutOfRangeException(nameof(convs), convs, $"a block has at least {ModelConfig.PaperConvsPerBlock} convolutions");
        conv1 = new ConvBnRelu("conv1", inChannels, outChannels);
        conv2 = new ConvBnRelu("conv2", outChannels, outChannels);
        deeper = new ModuleList<ConvBnRelu>();
        for (int i = ModelConfig.PaperConvsPerBlock; i < convs; i++) deeper.Add(new ConvBnRelu($"conv{i + 1}", outChannels, outChannels));
        pool = MaxPool2d(2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var h = conv2.call(conv1.call(x));                  // (B,C,H,W) -> (B,C',H,W)
        foreach (var conv in deeper) h = conv.call(h);      // (B,C',H,W)
        return pool.call(h);                                // (B,C',H/2,W/2)
    }
}
