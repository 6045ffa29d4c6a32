using System.Buffers.Binary;
using OpenCvSharp;

namespace Fersnet.Imaging;

/// <summary>What an encoded image's header says: its format (lower-case: png, jpeg, bmp, gif, webp, tiff, pnm) and size.</summary>
public sealed record ImageHeader(string Format, int Width, int Height)
{
    public long Pixels => (long)Width * Height;
}

/// <summary>
/// Decodes photos to upright 8-bit BGR: any bit depth, alpha, palette or CMYK becomes three 8-bit channels, and a JPEG's
/// EXIF orientation is applied (OpenCV does it when decoding in colour). The dimensions are read from the container's
/// header first and an image above the pixel limit is refused before any pixel is decoded, so a decompression bomb
/// costs only its file's bytes.
/// </summary>
public static class PhotoDecoder
{
    /// <summary>The formats <see cref="ReadHeader"/> recognises, as named in messages.</summary>
    public const string Formats = "PNG, JPEG, BMP, GIF, WebP, TIFF, PNM";

    /// <summary>Decodes <paramref name="encoded"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="ImageException">Empty, truncated, not an image, an unsupported format, or too many pixels.</exception>
    internal static Mat DecodeColor(byte[] encoded, string source, long maxPixels)
    {
        if (encoded.Length == 0) throw new ImageException(source, "file is empty (0 bytes)");
        var size = HeaderSize(encoded)
            ?? throw new ImageException(source, $"is not a supported image ({Formats}) or its header is damaged");
        if (size.Width <= 0 || size.Height <= 0) throw new ImageException(source, $"header gives an empty image ({size.Width}x{size.Height})");
        if ((long)size.Width * size.Height > maxPixels)
            throw new ImageException(source, $"is {size.Width}x{size.Height} pixels, above the limit of {maxPixels:N0} (refused before decoding)");
        return FaceImage.Decode(encoded, source, ImreadModes.Color);
    }

    /// <summary>Reads a file (refusing one larger than any image under the pixel limit could be) and decodes it.</summary>
    internal static Mat ReadColor(string path, long maxPixels)
    {
        byte[] bytes;
        try
        {
            long length = new FileInfo(path).Length;
            // An uncompressed 16-bit RGBA image is 8 bytes a pixel; a file beyond that (plus headers) is not one we take.
            if (length > maxPixels * 8 + (1 << 20)) throw new ImageException(path, $"file is {length:N0} bytes, too large for the pixel limit of {maxPixels:N0}");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException(path, $"cannot be read ({e.Message})");
        }
        return DecodeColor(bytes, path, maxPixels);
    }

    /// <summary>Width and height from the image header, or null when the bytes are no format read here.</summary>
    internal static (int Width, int Height)? HeaderSize(ReadOnlySpan<byte> d) => ReadHeader(d) is { } h ? (h.Width, h.Height) : null;

    /// <summary>
    /// The format (from the magic bytes, never from a name or a declared content type) and the dimensions of an encoded
    /// image, read from its header alone; null when the bytes are no format read here or the header is cut short.
    /// </summary>
    public static ImageHeader? ReadHeader(ReadOnlySpan<byte> d)
    {
        try
        {
            (string Format, (int, int)? Size) found;
            if (d.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
                found = ("png", d.Length >= 24 && d[12..16].SequenceEqual("IHDR"u8)
                    ? (Int(BinaryPrimitives.ReadUInt32BigEndian(d[16..])), Int(BinaryPrimitives.ReadUInt32BigEndian(d[20..]))) : null);
            else if (d.Length >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) found = ("jpeg", JpegSize(d));
            else if (d.StartsWith("GIF87a"u8) || d.StartsWith("GIF89a"u8))
                found = ("gif", d.Length >= 10 ? (BinaryPrimitives.ReadUInt16LittleEndian(d[6..]), BinaryPrimitives.ReadUInt16LittleEndian(d[8..])) : null);
            else if (d.StartsWith("BM"u8))
                found = ("bmp", d.Length >= 26 ? (Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(d[18..])), Math.Abs(BinaryPrimitives.ReadInt32LittleEndian(d[22..]))) : null);
            else if (d.Length >= 30 && d.StartsWith("RIFF"u8) && d[8..12].SequenceEqual("WEBP"u8)) found = ("webp", WebPSize(d));
            else if (d.StartsWith("II*\0"u8) || d.StartsWith("MM\0*"u8)) found = ("tiff", TiffSize(d));
            else if (d.Length >= 3 && d[0] == (byte)'P' && d[1] >= (byte)'1' && d[1] <= (byte)'6' && char.IsWhiteSpace((char)d[2])) found = ("pnm", PnmSize(d));
            else return null;
            return found.Size is var (w, h) ? new ImageHeader(found.Format, w, h) : null;
        }
        catch (ArgumentOutOfRangeException)
        {
            // A header cut off in the middle of a field.
        }
        return null;
    }

    private static int Int(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    /// <summary>Walks the JPEG markers to the first start-of-frame (SOF0–SOF15 but DHT, JPG and DAC).</summary>
    private static (int, int)? JpegSize(ReadOnlySpan<byte> d)
    {
        int i = 2;
        while (i + 9 < d.Length)
        {
            if (d[i] != 0xFF) return null;
            byte marker = d[i + 1];
            if (marker == 0xFF) { i++; continue; }
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) { i += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(d[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC))
                return (BinaryPrimitives.ReadUInt16BigEndian(d[(i + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(d[(i + 5)..]));
            if (length < 2) return null;
            i += 2 + length;
        }
        return null;
    }

    private static (int, int)? WebPSize(ReadOnlySpan<byte> d)
    {
        var chunk = d[12..16];
        if (chunk.SequenceEqual("VP8 "u8)) return (BinaryPrimitives.ReadUInt16LittleEndian(d[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(d[28..]) & 0x3FFF);
        if (chunk.SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(d[21..]);
            return ((int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1);
        }
        if (chunk.SequenceEqual("VP8X"u8))
            return ((d[24] | d[25] << 8 | d[26] << 16) + 1, (d[27] | d[28] << 8 | d[29] << 16) + 1);
        return null;
    }

    /// <summary>ImageWidth (256) and ImageLength (257) of the first image file directory.</summary>
    private static (int, int)? TiffSize(ReadOnlySpan<byte> d)
    {
        bool little = d[0] == (byte)'I';
        long ifd = U32(d, 4, little);
        if (ifd <= 0 || ifd + 2 > d.Length) return null;
        int entries = U16(d, (int)ifd, little), width = -1, height = -1;
        for (int e = 0; e < entries; e++)
        {
            int at = (int)ifd + 2 + e * 12;
            ushort tag = U16(d, at, little), type = U16(d, at + 2, little);
            int value = type == 3 ? U16(d, at + 8, little) : Int(U32(d, at + 8, little));
            if (tag == 256) width = value;
            else if (tag == 257) height = value;
        }
        return width < 0 || height < 0 ? null : (width, height);
    }

    private static uint U32(ReadOnlySpan<byte> d, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt32BigEndian(d[at..]);

    private static ushort U16(ReadOnlySpan<byte> d, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt16BigEndian(d[at..]);

    /// <summary>The first two numbers after the magic of a PBM/PGM/PPM header (comments skipped).</summary>
    private static (int, int)? PnmSize(ReadOnlySpan<byte> d)
    {
        var numbers = new List<long>();
        int i = 2;
        while (i < d.Length && numbers.Count < 2)
        {
            if (d[i] == (byte)'#') { while (i < d.Length && d[i] != (byte)'\n') i++; continue; }
            if (char.IsWhiteSpace((char)d[i])) { i++; continue; }
            if (d[i] < (byte)'0' || d[i] > (byte)'9') return null;
            long n = 0;
            while (i < d.Length && d[i] >= (byte)'0' && d[i] <= (byte)'9') { n = Math.Min(n * 10 + (d[i] - '0'), int.MaxValue); i++; }
            numbers.Add(n);
        }
        return numbers.Count == 2 ? ((int)numbers[0], (int)numbers[1]) : null;
    }
}
