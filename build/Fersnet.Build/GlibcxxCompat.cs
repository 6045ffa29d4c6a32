using System.Buffers.Binary;

namespace Fersnet.Build;

/// <summary>What <see cref="GlibcxxCompat.Patch"/> did to a library.</summary>
public enum PatchOutcome { NothingMissing, Patched, AlreadyPatched }

public sealed record PatchReport(PatchOutcome Outcome, IReadOnlyList<string> WeakenedVersions, IReadOnlyList<string> Symbols);

/// <summary>
/// Makes a prebuilt library (TorchSharp's <c>libLibTorchSharp.so</c>, built with GCC 13) load on a system
/// whose libstdc++ is older (Debian 12: GCC 12, GLIBCXX up to 3.4.30).
/// </summary>
/// <remarks>
/// The library needs GLIBCXX_3.4.32 for one symbol only, <c>std::ios_base_library_init()</c>, an anchor that
/// GCC 13's &lt;iostream&gt; emits to order stream initialisation and that is never called. Marking that version
/// requirement weak (<c>VER_FLG_WEAK</c> in its <c>Elf64_Vernaux</c>) makes ld.so accept its absence. The patch
/// refuses when a missing version covers any symbol outside <see cref="KnownUnusedSymbols"/>, since weakening
/// a version that real code needs would trade a load error for a crash later.
/// </remarks>
public static class GlibcxxCompat
{
    public const string LibStdCxx = "libstdc++.so.6";

    public static readonly IReadOnlySet<string> KnownUnusedSymbols = new HashSet<string>(StringComparer.Ordinal)
    {
        "_ZSt21ios_base_library_initv",
    };

    /// <summary>Versions that <paramref name="library"/> needs from libstdc++ and that the system lacks.</summary>
    public static IReadOnlyList<VersionNeed> MissingVersions(ElfImage library, IReadOnlySet<string> systemVersions) =>
        library.VersionNeeds()
            .Where(n => n.File == LibStdCxx && !systemVersions.Contains(n.Version))
            .ToList();

    /// <summary>Weakens, in <paramref name="bytes"/>, every libstdc++ version requirement the system cannot satisfy.</summary>
    /// <exception cref="InvalidOperationException">A missing version is used by a symbol that real code calls.</exception>
    public static PatchReport Patch(byte[] bytes, IReadOnlySet<string> systemVersions)
    {
        var library = new ElfImage(bytes);
        var missing = MissingVersions(library, systemVersions);
        if (missing.Count == 0) return new PatchReport(PatchOutcome.NothingMissing, [], []);

        var symbols = missing.SelectMany(n => library.SymbolsWithVersion(n.Index)).Distinct().ToList();
        var unsafeSymbols = symbols.Where(s => !KnownUnusedSymbols.Contains(s)).ToList();
        if (unsafeSymbols.Count > 0)
            throw new InvalidOperationException(
                $"the system {LibStdCxx} lacks {string.Join(", ", missing.Select(n => n.Version))}, used by " +
                $"{string.Join(", ", unsafeSymbols)}; these are real dependencies, install a newer libstdc++ (GCC 13 or later)");

        var versions = missing.Select(n => n.Version).ToList();
        if (missing.All(n => n.Weak)) return new PatchReport(PatchOutcome.AlreadyPatched, versions, symbols);
        foreach (var need in missing)
        {
            var flags = bytes.AsSpan((int)need.FlagsOffset, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(flags, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(flags) | ElfImage.VerFlagWeak));
        }
        return new PatchReport(PatchOutcome.Patched, versions, symbols);
    }

    /// <summary>
    /// Patches the file at <paramref name="path"/> in place by writing a new file and renaming it over the old
    /// one, so a hard link to the NuGet cache is broken rather than written through.
    /// </summary>
    public static PatchReport PatchFile(string path, IReadOnlySet<string> systemVersions)
    {
        var bytes = File.ReadAllBytes(path);
        var report = Patch(bytes, systemVersions);
        if (report.Outcome != PatchOutcome.Patched) return report;
        string temp = path + ".fersnet-patch.tmp";
        File.WriteAllBytes(temp, bytes);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
        // Keep the copy's timestamp: MSBuild then sees it as up to date and does not copy the original over it again.
        File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(path));
        File.Move(temp, path, overwrite: true);
        return report;
    }

    /// <summary>
    /// The libstdc++ that the dynamic loader will use: the one mapped into this process if any (the dotnet host
    /// links it), else the first of the usual library folders that has it.
    /// </summary>
    public static string? FindSystemLibStdCxx()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash >= 0 && line.EndsWith("/" + LibStdCxx, StringComparison.Ordinal)) return line[slash..];
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        string[] folders = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"];
        return folders.Select(f => Path.Combine(f, LibStdCxx)).FirstOrDefault(File.Exists);
    }
}
