using Fersnet.Build;

namespace Fersnet.Runtime;

/// <summary>
/// Makes TorchSharp's native library loadable wherever this library is used, not only in this repository's build:
/// before libtorch is first touched, the <c>libLibTorchSharp.so</c> that the process will load (beside the TorchSharp
/// assembly, or under its <c>runtimes/linux-x64/native</c>) gets the same fix as the build's (Directory.Build.targets):
/// libstdc++ version requirements the system cannot meet, used only by a never-called symbol, are marked weak. Only
/// a copy in an application's folder is changed, never the NuGet cache; on systems whose libstdc++ is new enough it does nothing.
/// </summary>
public static class NativeLibraries
{
    private static readonly Lock Gate = new();
    private static bool _done;

    /// <summary>Applies the fix once per process (cheap afterwards). Called by <see cref="TorchRuntime.Initialize"/> and by the recogniser's Load (Fersnet.Inference).</summary>
    /// <exception cref="InvalidOperationException">The library needs a newer libstdc++ for real, or its folder is read-only.</exception>
    public static void EnsureLoadable()
    {
        if (!OperatingSystem.IsLinux()) return;
        lock (Gate)
        {
            if (_done) return;
            foreach (var library in Candidates())
            {
                if (library.Contains("/.nuget/packages/", StringComparison.Ordinal)) continue;
                string? system = GlibcxxCompat.FindSystemLibStdCxx();
                if (system is null) break;
                try
                {
                    GlibcxxCompat.PatchFile(library, ElfImage.Load(system).VersionDefinitions());
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new InvalidOperationException(
                        $"{library} needs a libstdc++ newer than this system's and could not be fixed in place ({e.Message}); " +
                        "build the application with Fersnet's buildTransitive/Fersnet.targets imported, or make the folder writable", e);
                }
            }
            _done = true;
        }
    }

    private static IEnumerable<string> Candidates()
    {
        var folders = new[] { Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location), AppContext.BaseDirectory }
            .Where(f => !string.IsNullOrEmpty(f)).Select(f => Path.GetFullPath(f!)).Distinct();
        foreach (var folder in folders)
            foreach (var candidate in new[] { Path.Combine(folder, "libLibTorchSharp.so"), Path.Combine(folder, "runtimes", "linux-x64", "native", "libLibTorchSharp.so") })
                if (File.Exists(candidate)) yield return candidate;
    }
}
