using System.Buffers.Binary;
using System.Text;
using Fersnet.Build;
using static TorchSharp.torch;

namespace Fersnet.Tests;

public class ElfPatchTests
{
    /// <summary>
    /// Builds a minimal 64-bit ELF shared object whose .gnu.version_r needs GLIBCXX_3.4.30 and GLIBCXX_3.4.32 from
    /// libstdc++.so.6, with the given symbols bound to 3.4.32 (plus _Znwm bound to 3.4.30).
    /// </summary>
    internal static byte[] BuildElf(params string[] symbolsNeeding3432)
    {
        var strings = new MemoryStream();
        var offsets = new Dictionary<string, uint>();
        uint Str(string s)
        {
            if (offsets.TryGetValue(s, out var o)) return o;
            if (strings.Length == 0) strings.WriteByte(0);
            o = (uint)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
            return offsets[s] = o;
        }
        Str("libstdc++.so.6"); Str("GLIBCXX_3.4.30"); Str("GLIBCXX_3.4.32"); Str("_Znwm");
        foreach (var s in symbolsNeeding3432) Str(s);
        var dynstr = strings.ToArray();

        // Symbols: null, _Znwm@3.4.30 (index 2), then each listed symbol @3.4.32 (index 3).
        var symbolNames = new List<string> { "", "_Znwm" };
        symbolNames.AddRange(symbolsNeeding3432);
        var dynsym = new byte[24 * symbolNames.Count];
        var versym = new byte[2 * symbolNames.Count];
        for (int i = 1; i < symbolNames.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(dynsym.AsSpan(24 * i), Str(symbolNames[i]));
            BinaryPrimitives.WriteUInt16LittleEndian(versym.AsSpan(2 * i), (ushort)(i == 1 ? 2 : 3));
        }

        var verneed = new byte[16 + 2 * 16];
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(0), 1);        // vn_version
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(2), 2);        // vn_cnt
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(4), Str("libstdc++.so.6"));
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(8), 16);       // vn_aux
        (string Name, ushort Index)[] aux = [("GLIBCXX_3.4.30", 2), ("GLIBCXX_3.4.32", 3)];
        for (int a = 0; a < aux.Length; a++)
        {
            var entry = verneed.AsSpan(16 + 16 * a);
            BinaryPrimitives.WriteUInt16LittleEndian(entry[6..], aux[a].Index);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], Str(aux[a].Name));
            BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], a + 1 < aux.Length ? 16u : 0u);
        }

        var body = new MemoryStream();
        body.Write(new byte[64]);
        long Place(byte[] data) { long at = body.Length; body.Write(data); return at; }
        long dynstrAt = Place(dynstr), dynsymAt = Place(dynsym), versymAt = Place(versym), verneedAt = Place(verneed);
        while (body.Length % 8 != 0) body.WriteByte(0);
        long shoff = body.Length;
        var sections = new (uint Type, long Offset, long Size, uint Link, uint Info, long EntSize)[]
        {
            (0, 0, 0, 0, 0, 0),
            (3, dynstrAt, dynstr.Length, 0, 0, 0),
            (11, dynsymAt, dynsym.Length, 1, 1, 24),
            (0x6fffffff, versymAt, versym.Length, 2, 0, 2),
            (0x6ffffffe, verneedAt, verneed.Length, 1, 1, 0),
        };
        foreach (var s in sections)
        {
            var h = new byte[64];
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), s.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(24), (ulong)s.Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(32), (ulong)s.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), s.Link);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(44), s.Info);
            BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(56), (ulong)s.EntSize);
            body.Write(h);
        }
        var bytes = body.ToArray();
        new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }.CopyTo(bytes, 0);
        bytes[4] = 2; bytes[5] = 1; bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 3);         // ET_DYN
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), 62);        // x86-64
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(40), (ulong)shoff);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(58), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(60), (ushort)sections.Length);
        return bytes;
    }

    private static readonly HashSet<string> Gcc12 = ["GLIBCXX_3.4", "GLIBCXX_3.4.29", "GLIBCXX_3.4.30"];
    private static readonly HashSet<string> Gcc13 = [.. Gcc12, "GLIBCXX_3.4.31", "GLIBCXX_3.4.32"];

    [Fact]
    public void Reads_version_needs_and_the_symbols_bound_to_them()
    {
        var elf = new ElfImage(BuildElf("_ZSt21ios_base_library_initv"));
        var needs = elf.VersionNeeds();
        Assert.Equal(["GLIBCXX_3.4.30", "GLIBCXX_3.4.32"], needs.Select(n => n.Version));
        Assert.All(needs, n => Assert.Equal("libstdc++.so.6", n.File));
        Assert.All(needs, n => Assert.False(n.Weak));
        Assert.Equal(["_ZSt21ios_base_library_initv"], elf.SymbolsWithVersion(needs[1].Index));
        Assert.Equal(["_Znwm"], elf.SymbolsWithVersion(needs[0].Index));
    }

    [Fact]
    public void Patch_weakens_only_the_missing_version()
    {
        var bytes = BuildElf("_ZSt21ios_base_library_initv");
        var original = (byte[])bytes.Clone();
        var report = GlibcxxCompat.Patch(bytes, Gcc12);

        Assert.Equal(PatchOutcome.Patched, report.Outcome);
        Assert.Equal(["GLIBCXX_3.4.32"], report.WeakenedVersions);
        var needs = new ElfImage(bytes).VersionNeeds();
        Assert.False(needs.Single(n => n.Version == "GLIBCXX_3.4.30").Weak);
        Assert.True(needs.Single(n => n.Version == "GLIBCXX_3.4.32").Weak);
        // Exactly one byte (the flags of one Vernaux) changed.
        Assert.Equal(1, bytes.Zip(original).Count(p => p.First != p.Second));

        Assert.Equal(PatchOutcome.AlreadyPatched, GlibcxxCompat.Patch(bytes, Gcc12).Outcome);
    }

    [Fact]
    public void Patch_is_a_no_op_when_the_system_has_the_version()
    {
        var bytes = BuildElf("_ZSt21ios_base_library_initv");
        var original = (byte[])bytes.Clone();
        Assert.Equal(PatchOutcome.NothingMissing, GlibcxxCompat.Patch(bytes, Gcc13).Outcome);
        Assert.Equal(original, bytes);
    }

    [Fact]
    public void Patch_refuses_when_a_missing_version_is_really_used()
    {
        var bytes = BuildElf("_ZSt21ios_base_library_initv", "_ZNSt15__new_allocator8allocateEm");
        var original = (byte[])bytes.Clone();
        var e = Assert.Throws<InvalidOperationException>(() => GlibcxxCompat.Patch(bytes, Gcc12));
        Assert.Contains("_ZNSt15__new_allocator8allocateEm", e.Message);
        Assert.Equal(original, bytes);
    }

    [Fact]
    public void Rejects_files_that_are_not_elf()
    {
        Assert.Throws<InvalidDataException>(() => new ElfImage(Encoding.ASCII.GetBytes(new string('x', 100))));
        var truncated = BuildElf("_ZSt21ios_base_library_initv")[..200];
        Assert.Throws<InvalidDataException>(() => new ElfImage(truncated));
    }

    [Fact]
    public void PatchFile_replaces_the_file_and_leaves_a_hard_linked_original_untouched()
    {
        using var dir = new TempDir();
        string cache = dir.Combine("cache.so"), output = dir.Combine("output.so");
        File.WriteAllBytes(cache, BuildElf("_ZSt21ios_base_library_initv"));
        Assert.Equal(0, Link(cache, output));
        var stamp = new DateTime(2026, 2, 13, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(output, stamp);

        Assert.Equal(PatchOutcome.Patched, GlibcxxCompat.PatchFile(output, Gcc12).Outcome);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(output));   // so MSBuild's incremental copy leaves it alone
        Assert.True(new ElfImage(File.ReadAllBytes(output)).VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32").Weak);
        Assert.False(new ElfImage(File.ReadAllBytes(cache)).VersionNeeds().Single(n => n.Version == "GLIBCXX_3.4.32").Weak);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string oldPath, string newPath);

    [Fact]
    public void Reads_the_version_definitions_of_the_system_libstdcxx()
    {
        string? path = GlibcxxCompat.FindSystemLibStdCxx();
        Assert.NotNull(path);
        var defined = ElfImage.Load(path).VersionDefinitions();
        Assert.Contains("GLIBCXX_3.4", defined);
        Assert.Contains("CXXABI_1.3", defined);
    }

    [Fact]
    public void Built_output_has_a_loadable_libtorchsharp()
    {
        // The build's patch step ran on this test project's output folder: TorchSharp must load and compute.
        string library = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(library), $"{library} is missing");
        var system = ElfImage.Load(GlibcxxCompat.FindSystemLibStdCxx()!).VersionDefinitions();
        Assert.All(GlibcxxCompat.MissingVersions(ElfImage.Load(library), system), n => Assert.True(n.Weak, $"{n.Version} is still required"));
        using var x = ones(2, 3);
        Assert.Equal(6f, x.sum().item<float>());
    }
}
