using OpenCvSharp;

namespace Fersnet.Imaging;

/// <summary>An image that cannot be used, and why; <see cref="Exception.Message"/> names the file.</summary>
public sealed class ImageException(string source, string problem) : Exception($"{source}: {problem}")
{
    public string ImagePath { get; } = source;
    public string Problem { get; } = problem;
}

/// <summary>
/// Decoding and normalising faces with OpenCV: grayscale, square, values in [-1, 1] as the networks expect.
/// </summary>
public static class FaceImage
{
    /// <summary>Decodes an encoded image (PNG, JPEG, BMP, TIFF, WebP, …) to 8-bit grayscale.</summary>
    /// <exception cref="ImageException">Empty, truncated or not an image.</exception>
    public static Mat DecodeGray(byte[] encoded, string source) => Decode(encoded, source, ImreadModes.Grayscale);

    /// <summary>
    /// Decodes <paramref name="encoded"/> in <paramref name="mode"/>, refusing empty and truncated files and bytes OpenCV
    /// cannot read, each with one line naming <paramref name="source"/>.
    /// </summary>
    /// <exception cref="ImageException">The bytes are no readable image.</exception>
    internal static Mat Decode(byte[] encoded, string source, ImreadModes mode)
    {
        if (encoded.Length == 0) throw new ImageException(source, "file is empty (0 bytes)");
        if (LooksTruncated(encoded) is { } truncation) throw new ImageException(source, truncation);
        Mat image;
        try
        {
            image = Cv2.ImDecode(encoded, mode);
        }
        catch (OpenCVException e)
        {
            throw new ImageException(source, $"cannot be decoded ({e.Message.Trim()})");
        }
        if (image.Empty())
        {
            image.Dispose();
            throw new ImageException(source, "is not a readable image (OpenCV could not decode it)");
        }
        return image;
    }

    /// <summary>Reads and decodes a file to 8-bit grayscale.</summary>
    public static Mat ReadGray(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException(path, $"cannot be read ({e.Message})");
        }
        return DecodeGray(bytes, path);
    }

    /// <summary>
    /// libjpeg decodes a cut-off JPEG into a half-grey picture with only a warning, so truncation is checked
    /// from the container: a JPEG ends with its EOI marker, a PNG with its IEND chunk.
    /// </summary>
    public static string? LooksTruncated(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (data.StartsWith(pngSignature))
            return data.IndexOf("IEND"u8) < 0 ? "PNG is truncated (no IEND chunk)" : null;
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            // Some writers pad after EOI; allow a little trailing padding.
            var tail = data[Math.Max(0, data.Length - 64)..];
            return tail.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) < 0 ? "JPEG is truncated (no end-of-image marker)" : null;
        }
        return null;
    }

    /// <summary>Resizes a grayscale face to <paramref name="size"/> x <paramref name="size"/> (area averaging when shrinking).</summary>
    public static Mat ResizeSquare(Mat gray, int size)
    {
        if (gray.Rows == size && gray.Cols == size) return gray.Clone();
        var resized = new Mat();
        var interpolation = gray.Rows > size || gray.Cols > size ? InterpolationFlags.Area : InterpolationFlags.Linear;
        Cv2.Resize(gray, resized, new Size(size, size), 0, 0, interpolation);
        return resized;
    }

    /// <summary>
    /// Sharpness as the variance of the Laplacian: a few units for a blurred face, hundreds to thousands for a sharp
    /// one at 48x48. Used to catch splits that differ in image quality (FER2013's shared Training split is blurred).
    /// </summary>
    public static double Sharpness(Mat gray)
    {
        using var laplacian = new Mat();
        Cv2.Laplacian(gray, laplacian, MatType.CV_64F);
        Cv2.MeanStdDev(laplacian, out _, out var deviation);
        return deviation.Val0 * deviation.Val0;
    }

    /// <summary>Writes a square 8-bit grayscale face into <paramref name="destination"/> as floats in [-1, 1].</summary>
    public static void ToUnitRange(Mat gray, Span<float> destination)
    {
        if (gray.Type() != MatType.CV_8UC1) throw new ArgumentException("expected an 8-bit single-channel image", nameof(gray));
        int count = gray.Rows * gray.Cols;
        if (destination.Length != count) throw new ArgumentException($"destination holds {destination.Length} values, image has {count}");
        using var continuous = gray.IsContinuous() ? null : gray.Clone();
        var source = continuous ?? gray;
        unsafe
        {
            var pixels = new ReadOnlySpan<byte>((void*)source.Data, count);
            for (int i = 0; i < count; i++) destination[i] = pixels[i] / 127.5f - 1f;
        }
    }

    /// <summary>The inverse of <see cref="ToUnitRange"/>: values in [-1, 1] to an 8-bit grayscale image.</summary>
    public static Mat FromUnitRange(ReadOnlySpan<float> values, int size)
    {
        var image = new Mat(size, size, MatType.CV_8UC1);
        unsafe
        {
            var pixels = new Span<byte>((void*)image.Data, size * size);
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)Math.Clamp(MathF.Round((values[i] + 1f) * 127.5f), 0f, 255f);
        }
        return image;
    }
}
