using System.Buffers.Binary;
using System.Text;

namespace Fersnet.Build;

/// <summary>One <c>Elf64_Vernaux</c> entry: a symbol version that a shared library needs from another.</summary>
/// <param name="File">The library that must provide the version (e.g. <c>libstdc++.so.6</c>).</param>
/// <param name="Version">The version name (e.g. <c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Index">The version index that <c>.gnu.version</c> uses for symbols bound to it.</param>
/// <param name="Weak">Whether <c>VER_FLG_WEAK</c> is set: the loader then accepts its absence.</param>
/// <param name="FlagsOffset">File offset of the entry's <c>vna_flags</c> field.</param>
public sealed record VersionNeed(string File, string Version, ushort Index, bool Weak, long FlagsOffset);

/// <summary>
/// A read-only view of the symbol-versioning sections of a 64-bit little-endian ELF shared library,
/// enough to see which versions it needs, which it defines and which symbols use each one.
/// </summary>
public sealed class ElfImage
{
    public const ushort VerFlagWeak = 0x2;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    private readonly byte[] _bytes;
    private readonly List<Section> _sections = [];

    private sealed record Section(uint Type, long Offset, long Size, uint Link, uint Info, long EntrySize);

    public ElfImage(byte[] bytes)
    {
        _bytes = bytes;
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file (bad magic)");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

        long shoff = (long)U64(40);
        int shentsize = U16(58), shnum = U16(60);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > bytes.Length)
            throw new InvalidDataException("section header table lies outside the file");
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            var section = new Section(U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40), U32(h + 44), (long)U64(h + 56));
            if (section.Type != 8 /* SHT_NOBITS */ && section.Offset + section.Size > bytes.Length)
                throw new InvalidDataException($"section {i} lies outside the file");
            _sections.Add(section);
        }
    }

    public static ElfImage Load(string path) => new(File.ReadAllBytes(path));

    public byte[] Bytes => _bytes;

    /// <summary>Every version this library needs, in file order (<c>.gnu.version_r</c>).</summary>
    public IReadOnlyList<VersionNeed> VersionNeeds()
    {
        var needs = new List<VersionNeed>();
        foreach (var section in _sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strings = _sections[(int)section.Link];
            long entry = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                ushort count = U16(entry + 2);
                string file = CString(strings, U32(entry + 4));
                long aux = entry + U32(entry + 8);
                for (int a = 0; a < count; a++)
                {
                    ushort flags = U16(aux + 4);
                    needs.Add(new VersionNeed(file, CString(strings, U32(aux + 8)), U16(aux + 6), (flags & VerFlagWeak) != 0, aux + 4));
                    aux += U32(aux + 12);
                }
                uint next = U32(entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }
        return needs;
    }

    /// <summary>Every version this library defines (<c>.gnu.version_d</c>), e.g. GLIBCXX_3.4.30 for libstdc++.</summary>
    public IReadOnlySet<string> VersionDefinitions()
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in _sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strings = _sections[(int)section.Link];
            long entry = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                // The first Verdaux names the version itself; later ones name its predecessors.
                defined.Add(CString(strings, U32(entry + U32(entry + 12))));
                uint next = U32(entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return defined;
    }

    /// <summary>Names of the dynamic symbols bound to the version with this index.</summary>
    public IReadOnlyList<string> SymbolsWithVersion(ushort index)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym is null || versym is null) return [];
        var strings = _sections[(int)dynsym.Link];
        long count = dynsym.Size / Math.Max(24, dynsym.EntrySize);
        var names = new List<string>();
        for (long i = 0; i < count && 2 * i + 1 < versym.Size; i++)
            if ((U16(versym.Offset + 2 * i) & 0x7fff) == index)
                names.Add(CString(strings, U32(dynsym.Offset + 24 * i)));
        return names;
    }

    private string CString(Section strings, uint offset)
    {
        long start = strings.Offset + offset;
        if (offset >= strings.Size) throw new InvalidDataException("string offset outside its table");
        long end = start;
        while (end < strings.Offset + strings.Size && _bytes[end] != 0) end++;
        return Encoding.ASCII.GetString(_bytes, (int)start, (int)(end - start));
    }

    private ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan((int)at, 2));
    private uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan((int)at, 4));
    private ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(_bytes.AsSpan((int)at, 8));
}
