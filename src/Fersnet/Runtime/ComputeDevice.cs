using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Runtime;

/// <summary>A device unavailable on this machine; the message says why and what to do, in one line.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);

/// <summary>
/// Where models and tensors live: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. The CPU build of TorchSharp (the package this
/// library references, <c>TorchSharp-cpu</c>) has no CUDA; a GPU user references <c>TorchSharp-cuda-linux</c> (or
/// <c>-windows</c>) in their application instead, and the same code runs there.
/// </summary>
public static class ComputeDevice
{
    /// <summary>The default: the CPU.</summary>
    public static Device Cpu => CPU;

    /// <summary>Parses and checks a device name.</summary>
    /// <exception cref="ArgumentException">Not a device name.</exception>
    /// <exception cref="DeviceUnavailableException">A CUDA device this process cannot use.</exception>
    public static Device Parse(string? name)
    {
        string text = (name ?? "cpu").Trim().ToLowerInvariant();
        if (text == "cpu") return CPU;
        if (text != "cuda" && !text.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ArgumentException($"unknown device '{name}' (known: cpu, cuda, cuda:N)");
        int index = 0;
        if (text.Length > 4 && (!int.TryParse(text[5..], out index) || index < 0))
            throw new ArgumentException($"unknown device '{name}': the CUDA index must be a number (cuda:0)");
        if (!cuda.is_available())
            throw new DeviceUnavailableException($"device '{name}' is not available: this libtorch has no CUDA or sees no GPU (reference TorchSharp-cuda-linux instead of TorchSharp-cpu, on a machine with an NVIDIA driver)");
        int count = cuda.device_count();
        if (index >= count)
            throw new DeviceUnavailableException($"device '{name}' is not available: this machine has {count} CUDA device(s)");
        return new Device(DeviceType.CUDA, index);
    }
}
