using System.Buffers.Binary;
using System.IO.Compression;
using Fersnet.Imaging;
using Fersnet.Inference;
using ImageMagick;
using OpenCvSharp;

namespace Fersnet.Tests;

/// <summary>Photos in every form a user may have, and broken ones: each read or refused with one clear line, none crashes a batch.</summary>
public class PhotoInputTests(RecognizerFixture fixture) : IClassFixture<RecognizerFixture>
{
    private ExpressionRecognizer Recognizer => fixture.Recognizer;

    private static string Sample1 => Path.Combine(TestPaths.Photos, "sample1.jpg");

    /// <summary>sample1.jpg (three faces) at 960 px wide, 8-bit BGR.</summary>
    private static Mat SmallSample()
    {
        using var full = Cv2.ImRead(Sample1);
        return full.Resize(new OpenCvSharp.Size(960, 640), 0, 0, InterpolationFlags.Area);
    }

    private static string ImageError(Func<object> read) => Assert.Throws<ImageException>(read).Message;

    [Fact]
    public void Empty_truncated_corrupt_and_non_image_files_are_refused_with_their_reason()
    {
        using var dir = new TempDir();
        var jpg = File.ReadAllBytes(Sample1);
        File.WriteAllBytes(dir.Combine("zero.jpg"), []);
        File.WriteAllBytes(dir.Combine("cut.jpg"), jpg[..(jpg.Length / 3)]);
        File.WriteAllBytes(dir.Combine("header-only.png"), Png(8, 8, 0, null)[..33]);
        var corrupt = (byte[])jpg.Clone();
        for (int i = 2000; i < corrupt.Length - 100; i += 37) corrupt[i] = 0;
        File.WriteAllBytes(dir.Combine("corrupt.jpg"), corrupt);
        File.WriteAllText(dir.Combine("letter.png"), "Dear reader, this is text.");

        Assert.Equal($"{dir.Combine("zero.jpg")}: file is empty (0 bytes)", ImageError(() => Recognizer.Recognize(dir.Combine("zero.jpg"))));
        Assert.Contains("JPEG is truncated", ImageError(() => Recognizer.Recognize(dir.Combine("cut.jpg"))));
        Assert.Contains("PNG is truncated", ImageError(() => Recognizer.Recognize(dir.Combine("header-only.png"))));
        Assert.Contains("is not a supported image", ImageError(() => Recognizer.Recognize(dir.Combine("letter.png"))));
        // libjpeg decodes damaged entropy-coded data with warnings only: a picture comes out, garbled; no crash.
        _ = Recognizer.Recognize(dir.Combine("corrupt.jpg"));
        Assert.Contains("cannot be read", ImageError(() => Recognizer.Recognize(dir.Combine("absent.jpg"))));
    }

    [Fact]
    public void Sixteen_bit_RGBA_palette_CMYK_and_gray_images_are_read_as_colour_photos()
    {
        using var bgr = SmallSample();
        var expected = Recognizer.Recognize(bgr);
        Assert.Equal(3, expected.Count);

        using var sixteen = new Mat();
        bgr.ConvertTo(sixteen, MatType.CV_16UC3, 257);
        using var rgba = bgr.CvtColor(ColorConversionCodes.BGR2BGRA);
        using var gray = bgr.CvtColor(ColorConversionCodes.BGR2GRAY);
        byte[] png = bgr.ImEncode(".png");
        var encoded = new Dictionary<string, byte[]>
        {
            ["16-bit png"] = sixteen.ImEncode(".png"),
            ["rgba png"] = rgba.ImEncode(".png"),
            ["gray png"] = gray.ImEncode(".png"),
            ["16-bit tiff"] = sixteen.ImEncode(".tiff"),
            ["bmp"] = bgr.ImEncode(".bmp"),
            ["webp"] = bgr.ImEncode(".webp"),
        };
        using (var magick = new MagickImage(png))
        {
            magick.Quantize(new QuantizeSettings { Colors = 256 });
            magick.Format = MagickFormat.Png8;
            encoded["palette png"] = magick.ToByteArray();
        }
        using (var magick = new MagickImage(png))
        {
            magick.ColorSpace = ColorSpace.CMYK;
            magick.Format = MagickFormat.Jpeg;
            encoded["cmyk jpeg"] = magick.ToByteArray();
        }
        Assert.Equal(3, encoded["palette png"][25]);   // IHDR colour type 3: indexed
        foreach (var (kind, bytes) in encoded)
        {
            var faces = Recognizer.Recognize(bytes, kind);
            Assert.True(faces.Count == 3, $"{kind}: {faces.Count} faces");
            foreach (var face in faces)
                Assert.Contains(expected, e => FaceDetectors.IoU(Box(e.Box), Box(face.Box)) > 0.7f);
        }
    }

    [Theory]
    [InlineData(6, RotateFlags.Rotate90Counterclockwise)]
    [InlineData(8, RotateFlags.Rotate90Clockwise)]
    [InlineData(3, RotateFlags.Rotate180)]
    public void EXIF_rotated_JPEGs_are_turned_upright(int orientation, RotateFlags stored)
    {
        using var upright = SmallSample();
        var expected = Recognizer.Recognize(upright);
        using var turned = new Mat();
        Cv2.Rotate(upright, turned, stored);
        byte[] jpeg = WithExifOrientation(turned.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 95)), orientation);

        using var read = Recognizer.ReadImage(WriteTemp(jpeg, out var dir));
        using (dir)
        {
            Assert.Equal(upright.Size(), read.Size());
            var faces = Recognizer.Recognize(jpeg, "rotated.jpg");
            Assert.Equal(expected.Count, faces.Count);
            foreach (var face in faces)
                Assert.Contains(expected, e => FaceDetectors.IoU(Box(e.Box), Box(face.Box)) > 0.7f);
        }
    }

    [Fact]
    public void Tiny_images_give_no_face_or_one_whole_image_face()
    {
        using var none = ExpressionRecognizer.Load(options: new RecognizerOptions { Detector = DetectorKind.None });
        foreach (var (w, h, ext) in new[] { (1, 1, ".png"), (3, 2, ".png"), (8, 8, ".jpg"), (2, 40, ".bmp") })
        {
            using var tiny = new Mat(h, w, MatType.CV_8UC3, new Scalar(90, 120, 200));
            var bytes = tiny.ImEncode(ext);
            Assert.Empty(Recognizer.Recognize(bytes, $"{w}x{h}{ext}"));
            var face = Assert.Single(none.Recognize(bytes, $"{w}x{h}{ext}"));
            Assert.Equal(new FaceBox(0, 0, w, h), face.Box);
        }
    }

    [Fact]
    public void Huge_images_and_decompression_bombs_are_refused_from_their_header()
    {
        // A 12,000 x 12,000 PNG of zeros: 144 MB of pixels in a file of a few hundred KB.
        byte[] bomb = Png(12_000, 12_000, 0, null);
        Assert.True(bomb.Length < 2_000_000, $"{bomb.Length} bytes");
        long before = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        var message = ImageError(() => Recognizer.Recognize(bomb, "bomb.png"));
        long grown = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.Equal("bomb.png: is 12000x12000 pixels, above the limit of 50,000,000 (refused before decoding)", message);
        Assert.True(grown < 64L << 20, $"memory grew by {grown >> 20} MiB");

        // A JPEG whose frame header claims 60,000 x 60,000.
        using var small = new Mat(16, 16, MatType.CV_8UC3, Scalar.All(128));
        var jpeg = small.ImEncode(".jpg");
        int sof = FindMarker(jpeg, 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 60_000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 60_000);
        Assert.Contains("60000x60000 pixels, above the limit", ImageError(() => Recognizer.Recognize(jpeg, "claims.jpg")));

        // The limit is an option.
        using var strict = ExpressionRecognizer.Load(options: new RecognizerOptions { MaxPixels = 100_000 });
        Assert.Contains("above the limit of 100,000", ImageError(() => strict.Recognize(Sample1)));
    }

    [Fact]
    public void Header_sizes_are_read_for_every_supported_format()
    {
        using var image = new Mat(37, 53, MatType.CV_8UC3, Scalar.All(60));
        foreach (var ext in new[] { ".png", ".jpg", ".bmp", ".webp", ".tiff", ".ppm", ".pgm" })
        {
            using var converted = ext == ".pgm" ? image.CvtColor(ColorConversionCodes.BGR2GRAY) : image.Clone();
            Assert.Equal((53, 37), PhotoDecoder.HeaderSize(converted.ImEncode(ext)));
        }
        Assert.Null(PhotoDecoder.HeaderSize("hello world"u8));
        Assert.Null(PhotoDecoder.HeaderSize([0x89, (byte)'P', (byte)'N', (byte)'G']));
    }

    [Fact]
    public void A_thousand_mutated_PNG_and_JPEG_files_go_through_predict_with_one_outcome_each()
    {
        using var dir = new TempDir();
        using var photo = SmallSample();
        using var face = Cv2.ImRead(Directory.GetFiles(Path.Combine(TestPaths.Fer2013, "test", "sad"), "PrivateTest_*.jpg").Order().First());
        using var quarter = photo.Resize(new OpenCvSharp.Size(240, 160));
        var seeds = new[] { quarter.ImEncode(".png"), quarter.ImEncode(".jpg"), face.ImEncode(".png"), face.ImEncode(".jpg"), Fixtures.EncodeFace(".png", 3, 64), Fixtures.EncodeFace(".jpg", 4, 64) };
        var random = new Random(18);
        const int count = 1000;
        for (int i = 0; i < count; i++)
        {
            var seed = seeds[i % seeds.Length];
            File.WriteAllBytes(dir.Combine($"m{i:D4}{(seed[0] == 0x89 ? ".png" : ".jpg")}"), Mutate(seed, random));
        }

        var result = CliRunner.Run("predict", dir.Path, "--max-pixels", "4000000");
        Assert.True(result.ExitCode is 0 or 1, result.Output);
        var outcomes = new Dictionary<string, HashSet<string>>();
        foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Contains(" files read, ")) continue;
            string file, kind;
            if (line.StartsWith("error: ")) { file = line[7..line.IndexOf(": ", 7, StringComparison.Ordinal)]; kind = "error"; }
            else { file = line[..line.IndexOf("  ", StringComparison.Ordinal)]; kind = line.Contains("no face found") ? "none" : "face"; }
            if (!outcomes.TryGetValue(file, out var kinds)) outcomes[file] = kinds = [];
            kinds.Add(kind);
        }
        Assert.Equal(count, outcomes.Count);
        Assert.All(outcomes, o => Assert.Single(o.Value));
        Assert.Contains($"of {count} files read", result.Output);
        // The corpus exercises both sides: some files still read, many are refused.
        Assert.InRange(outcomes.Count(o => o.Value.Contains("error")), 50, count - 50);
    }

    /// <summary>One of several damages: flipped bytes, a cut, inserted garbage, a zeroed run, a forged size, a doubled run.</summary>
    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(6))
        {
            case 0:
                for (int k = random.Next(1, 12); k > 0; k--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                return bytes;
            case 1:
                return bytes[..random.Next(0, bytes.Length)];
            case 2:
            {
                int at = random.Next(bytes.Length);
                var junk = new byte[random.Next(1, 200)];
                random.NextBytes(junk);
                return [.. bytes[..at], .. junk, .. bytes[at..]];
            }
            case 3:
            {
                int at = random.Next(bytes.Length), length = Math.Min(random.Next(1, 400), bytes.Length - at);
                bytes.AsSpan(at, length).Clear();
                return bytes;
            }
            case 4:
            {
                // Forge the width and height in the header (PNG IHDR; JPEG baseline frame).
                int at = bytes[0] == 0x89 ? 16 : FindMarker(bytes, 0xC0) + 5;
                if (at < 0 || at + 8 > bytes.Length) return bytes;
                for (int k = 0; k < 4; k++) bytes[at + random.Next(8)] = (byte)random.Next(256);
                return bytes;
            }
            default:
            {
                int at = random.Next(bytes.Length), length = Math.Min(random.Next(1, 300), bytes.Length - at);
                return [.. bytes[..(at + length)], .. bytes[at..]];
            }
        }
    }

    private static Rect2f Box(FaceBox b) => new(b.X, b.Y, b.Width, b.Height);

    private static string WriteTemp(byte[] bytes, out TempDir dir)
    {
        dir = new TempDir();
        string path = dir.Combine("photo.jpg");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static int FindMarker(byte[] jpeg, byte marker)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i;
        return -1;
    }

    /// <summary>Inserts an EXIF APP1 segment with one tag, Orientation, after the JFIF APP0 segment.</summary>
    private static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0,      // little-endian TIFF header, first IFD at 8
            1, 0,                                          // one entry
            0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0,                                    // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        byte[] segment = [0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];
        int at = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + (jpeg[4] << 8 | jpeg[5]);
        return [.. jpeg[..at], .. segment, .. jpeg[at..]];
    }

    /// <summary>
    /// An 8-bit PNG written by hand: colour type <paramref name="colourType"/> (0 gray), rows of
    /// <paramref name="pixels"/> (null: all zero, streamed, so a huge image costs little to make).
    /// </summary>
    private static byte[] Png(int width, int height, byte colourType, byte[]? pixels)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colourType;
        Chunk(output, "IHDR", header);
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                var row = new byte[width + 1];
                for (int y = 0; y < height; y++)
                {
                    if (pixels is not null) pixels.AsSpan(y * width, width).CopyTo(row.AsSpan(1));
                    zlib.Write(row);
                }
            }
            Chunk(output, "IDAT", compressed.ToArray());
        }
        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        output.Write(typed);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typed));
        output.Write(crc);
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
