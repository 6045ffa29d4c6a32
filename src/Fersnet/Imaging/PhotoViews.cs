using OpenCvSharp;

namespace Fersnet.Imaging;

/// <summary>
/// A decoded, upright 8-bit photo in the forms its readers need: the grayscale image every face is cropped from and the
/// BGR image a colour detector reads. Each form is made once, on first use, and only when asked for (a face crop that
/// is already grayscale is never converted at all); the caller keeps ownership of the source image.
/// </summary>
internal sealed class PhotoViews : IDisposable
{
    private readonly Mat _image;
    private Mat? _gray, _bgr;

    /// <param name="image">8-bit grayscale, BGR or BGRA.</param>
    /// <exception cref="ArgumentException">Empty, not 8-bit, or not 1, 3 or 4 channels.</exception>
    public PhotoViews(Mat image)
    {
        if (image.Empty()) throw new ArgumentException("the image is empty", nameof(image));
        if (image.Depth() != MatType.CV_8U) throw new ArgumentException($"expected an 8-bit image, got {image.Type()}", nameof(image));
        if (image.Channels() is not (1 or 3 or 4)) throw new ArgumentException($"expected 1, 3 or 4 channels, got {image.Channels()}", nameof(image));
        _image = image;
    }

    public int Width => _image.Cols;

    public int Height => _image.Rows;

    /// <summary>8-bit single channel.</summary>
    public Mat Gray => _gray ??= Convert(_image.Channels() switch
    {
        1 => null,
        3 => ColorConversionCodes.BGR2GRAY,
        _ => ColorConversionCodes.BGRA2GRAY,
    });

    /// <summary>8-bit BGR.</summary>
    public Mat Bgr => _bgr ??= Convert(_image.Channels() switch
    {
        1 => ColorConversionCodes.GRAY2BGR,
        3 => null,
        _ => ColorConversionCodes.BGRA2BGR,
    });

    /// <summary>The source itself when <paramref name="code"/> is null (not owned), else a converted copy (owned).</summary>
    private Mat Convert(ColorConversionCodes? code)
    {
        if (code is not { } c) return _image;
        var converted = new Mat();
        Cv2.CvtColor(_image, converted, c);
        return converted;
    }

    public void Dispose()
    {
        if (!ReferenceEquals(_gray, _image)) _gray?.Dispose();
        if (!ReferenceEquals(_bgr, _image)) _bgr?.Dispose();
    }
}
