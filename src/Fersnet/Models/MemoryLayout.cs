using static TorchSharp.torch;

namespace Fersnet.Models;

/// <summary>
/// Where feature maps keep their channels in memory. Channels-last (NHWC strides behind the usual (B,C,H,W) shape)
/// lets libtorch's oneDNN convolutions run without reordering every input: on this project's 2-core AVX-512 CPU a
/// 16-channel 48x48 convolution runs about 4x faster and the whole FERSNet forward about 1.4x (see docs/RESULTS.md,
/// "kernels"). Shapes, values and gradients are the same either way; only the speed differs.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 exposes no memory-format argument, so the layout is produced by permuting to NHWC, making that
/// contiguous and permuting back. libtorch keeps the layout from there: convolution, batch norm, pooling and
/// element-wise outputs follow their input. Models call <see cref="Preferred"/> where a map enters the network
/// (after the stem, whose 1-channel input has no layout to speak of) and where maps of mixed layout are joined.
/// </remarks>
public static class MemoryLayout
{
    /// <summary>Process-wide switch, like PyTorch's backend flags; off reproduces the plain NCHW baseline.</summary>
    public static bool ChannelsLast { get; set; } = true;

    /// <summary>(B,C,H,W) in the preferred layout; a no-op when it already is, or when channels-last is off.</summary>
    public static Tensor Preferred(Tensor map) =>
        ChannelsLast && map.dim() == 4 ? map.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : map;

    /// <summary>Runs <paramref name="run"/> with the layout switched as given, then restores it.</summary>
    public static T With<T>(bool channelsLast, Func<T> run)
    {
        bool saved = ChannelsLast;
        ChannelsLast = channelsLast;
        try { return run(); }
        finally { ChannelsLast = saved; }
    }

    /// <summary>Whether a (B,C,H,W) tensor's strides are channels-last.</summary>
    public static bool IsChannelsLast(Tensor map) => map.dim() == 4 && map.stride(1) == 1 && map.stride(3) == map.shape[1];
}
