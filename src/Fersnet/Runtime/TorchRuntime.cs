using TorchSharp;

namespace Fersnet.Runtime;

/// <summary>Process-wide libtorch settings, applied once before any tensor work.</summary>
public static class TorchRuntime
{
    private static int _initialised;

    /// <summary>
    /// Sets libtorch's intra-op thread count to the machine's cores (or <c>FERSNET_THREADS</c>): more threads
    /// than cores only adds contention on the small convolutions these networks run.
    /// </summary>
    public static void Initialize()
    {
        if (Interlocked.Exchange(ref _initialised, 1) == 1) return;
        NativeLibraries.EnsureLoadable();
        torch.set_num_threads(ThreadCount);
    }

    public static int ThreadCount =>
        int.TryParse(Environment.GetEnvironmentVariable("FERSNET_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount;
}
