using System.Runtime.InteropServices;

namespace Fersnet.Runtime;

/// <summary>
/// Keeps native memory bounded while many photos stream through inference. glibc's malloc raises its mmap threshold
/// each time a large block is freed, after which libtorch's activation buffers (megabytes per forward pass) come from
/// the heap and fragment it: predicting 3,589 face crops peaked at 407–463 MiB that way, 368–374 MiB with the threshold
/// fixed at 128 KiB or 4 MiB. 4 MiB is used: only the large activation blocks are mapped and returned to the system when
/// freed, the many small ones stay on the heap. <c>MALLOC_MMAP_THRESHOLD_</c> in the environment overrides it.
/// </summary>
public static partial class NativeMemory
{
    private const int MmapThreshold = -3;   // M_MMAP_THRESHOLD in malloc.h
    private static int _applied;

    /// <summary>Applied once, by the recogniser's Load (Fersnet.Inference); does nothing off glibc.</summary>
    public static void BoundForInference()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref _applied, 1) == 1) return;
        // A threshold set through glibc's own variable wins.
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return;
        try
        {
            mallopt(MmapThreshold, 4 << 20);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): its allocator has no such threshold to fix.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int parameter, int value);
}
