using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;
using Fersnet.Models;
namespace Fersnet.Lab.Benchmarks;

/// <summary>
/// Multiply-accumulates per image, counted from the layer shapes of a <see cref="ModelConfig"/> (the useful work:
/// a layer's channels as declared, not the padding <see cref="SafeConv2d"/> adds). One MAC is two FLOPs.
/// </summary>
public static class FlopCount
{
    private static double Conv(long inChannels, long outChannels, int kernel, int outSide) => (double)inChannels * outChannels * kernel * kernel * outSide * outSide;

    /// <summary>Stem + branch(es) + gates + FER head: what recognition runs.</summary>
    public static double RecognitionMacs(ModelConfig c)
    {
        int side = c.ImageSize;
        double branch = Conv(1, c.Width, 3, side), gates = 0, lastGate = 0;
        long inChannels = c.Width;
        for (int d = 0; d < ModelConfig.Blocks; d++)
        {
            long channels = c.BlockWidth(d);
            branch += Conv(inChannels, channels, 3, side) + (c.BlockConvs - 1) * Conv(channels, channels, 3, side);
            side /= 2;
            // ConvFLU: W_rz (2C→2C) + W (C→C) + U (C→C) at the pooled side.
            lastGate = Conv(2 * channels, 2 * channels, 3, side) + 2 * Conv(channels, channels, 3, side);
            gates += lastGate;
            inChannels = channels;
        }
        double head = Conv(inChannels, inChannels, 3, side) + (double)inChannels * c.Classes;
        double stem = Conv(1, c.Width, 3, c.ImageSize);
        return c.Kind switch
        {
            // Both branches and gate pairs, except the FES-side unit of the last depth, which feeds only the decoder.
            ModelKind.Fersnet => 2 * (branch - stem) + stem + 2 * gates - lastGate + head,
            _ => branch + head,
        };
    }

    /// <summary>The FES decoder (label embedding and mirrored up-blocks).</summary>
    public static double DecoderMacs(ModelConfig c)
    {
        if (!c.HasSynthesis) return 0;
        // FERSNet's FES-side unit of the last depth runs only when synthesising: counted with the decoder.
        double lastGate = 0;
        if (c.Kind == ModelKind.Fersnet)
        {
            long last = c.BlockWidth(ModelConfig.Blocks - 1);
            lastGate = Conv(2 * last, 2 * last, 3, c.BottleneckSize) + 2 * Conv(last, last, 3, c.BottleneckSize);
        }
        long bottleneck = c.BlockWidth(ModelConfig.Blocks - 1);
        int side = c.BottleneckSize;
        double macs = (double)c.Classes * bottleneck + Conv(bottleneck, bottleneck, side, side);
        long inChannels = 2 * bottleneck;
        for (int block = ModelConfig.Blocks - 2; block >= -1; block--)
        {
            long outChannels = c.BlockWidth(Math.Max(block, 0));
            side *= 2;
            macs += (double)inChannels * outChannels * 16 * (side / 2) * (side / 2) + Conv(outChannels, outChannels, 3, side);
            inChannels = outChannels;
        }
        return lastGate + macs + Conv(inChannels, 1, 3, side);
    }

    public static double DiscriminatorMacs(ModelConfig c)
    {
        double macs = 0;
        long inChannels = 1;
        int side = c.ImageSize;
        for (int layer = 0; layer < 3; layer++)
        {
            long outChannels = c.ConstantWidth ? c.Width : c.Width << layer;
            side /= 2;
            macs += Conv(inChannels, outChannels, 4, side);
            inChannels = outChannels;
        }
        return macs + Conv(inChannels, 1, 3, side) + Conv(inChannels, c.Classes, side, 1);
    }

    /// <summary>
    /// FLOPs of one training image: backward ≈ 2x forward. A synthesis step runs the network twice (generation and
    /// cycle reconstruction, the latter on <paramref name="cycleShare"/> of the batch) and the discriminator three
    /// times (real, fake, fake for the generator); a recognition-only step runs recognition once.
    /// <paramref name="synthesisEvery"/> mixes the two.
    /// </summary>
    public static double TrainFlopsPerImage(ModelConfig c, int synthesisEvery = 1, double cycleShare = 1)
    {
        double recognitionStep = 3 * RecognitionMacs(c);
        if (!c.HasSynthesis) return 2 * recognitionStep;
        double synthesisStep = (1 + cycleShare) * 3 * (RecognitionMacs(c) + DecoderMacs(c)) + 3 * 3 * DiscriminatorMacs(c);
        return 2 * (synthesisStep + (synthesisEvery - 1) * recognitionStep) / synthesisEvery;
    }

    public static double RecognitionFlopsPerImage(ModelConfig c) => 2 * RecognitionMacs(c);
}
