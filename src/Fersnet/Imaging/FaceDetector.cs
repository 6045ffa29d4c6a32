using OpenCvSharp;

namespace Fersnet.Imaging;

/// <summary>Which face detector finds the faces in a photo.</summary>
public enum DetectorKind
{
    /// <summary>MediaPipe's full-range BlazeFace network (OpenCV DNN, bundled model file): finds small, turned and partly covered faces.</summary>
    BlazeFace,

    /// <summary>OpenCV's Haar cascade for frontal faces (Debian's <c>opencv-data</c> package): no model file, frontal faces only.</summary>
    Haar,

    /// <summary>No detection: the whole image is one face (for images that are already face crops).</summary>
    None,
}

/// <summary>A face found in a photo: its box in the photo's pixels (upright, after EXIF orientation) and the detector's confidence.</summary>
internal readonly record struct Detection(Rect2f Box, float Score);

/// <summary>Finds faces in an upright photo, reading the form of it it needs. Implementations are safe to call from several threads.</summary>
internal interface IFaceDetector : IDisposable
{
    IReadOnlyList<Detection> Detect(PhotoViews photo);
}

internal static class FaceDetectors
{
    /// <summary>The detector of <paramref name="kind"/>; <paramref name="minFaceSize"/> drops smaller faces (pixels, shorter side of the box).</summary>
    public static IFaceDetector Create(DetectorKind kind, int minFaceSize) => kind switch
    {
        DetectorKind.BlazeFace => new BlazeFaceDetector(ModelFiles.Find(ModelFiles.BlazeFaceModel), minFaceSize),
        DetectorKind.Haar => new HaarFaceDetector(minFaceSize),
        DetectorKind.None => new WholeImageDetector(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown detector"),
    };

    /// <summary>Intersection over union of two boxes.</summary>
    public static float IoU(Rect2f a, Rect2f b)
    {
        float x1 = Math.Max(a.Left, b.Left), y1 = Math.Max(a.Top, b.Top);
        float x2 = Math.Min(a.Right, b.Right), y2 = Math.Min(a.Bottom, b.Bottom);
        float inter = Math.Max(0, x2 - x1) * Math.Max(0, y2 - y1);
        float union = a.Width * a.Height + b.Width * b.Height - inter;
        return union <= 0 ? 0 : inter / union;
    }
}

/// <summary>The whole image is one face, score 1.</summary>
internal sealed class WholeImageDetector : IFaceDetector
{
    public IReadOnlyList<Detection> Detect(PhotoViews photo) => [new Detection(new Rect2f(0, 0, photo.Width, photo.Height), 1f)];

    public void Dispose() { }
}

/// <summary>
/// OpenCV's frontal-face Haar cascade from Debian's <c>opencv-data</c> package (<c>/usr/share/opencv4</c>). A cascade
/// gives no confidence: every face it returns scores 1.
/// </summary>
internal sealed class HaarFaceDetector : IFaceDetector
{
    internal const string CascadeFile = "haarcascades/haarcascade_frontalface_default.xml";
    private static readonly string[] Roots = ["/usr/share/opencv4", "/usr/share/opencv", "/usr/local/share/opencv4"];

    private readonly CascadeClassifier _cascade;
    private readonly int _minFaceSize;
    private readonly Lock _lock = new();

    public HaarFaceDetector(int minFaceSize)
    {
        string? path = Roots.Select(r => Path.Combine(r, CascadeFile)).FirstOrDefault(File.Exists);
        if (path is null)
            throw new FileNotFoundException($"the Haar cascade {CascadeFile} is not installed (apt-get install opencv-data; scripts/setup.sh does it)");
        _cascade = new CascadeClassifier(path);
        _minFaceSize = minFaceSize;
    }

    public IReadOnlyList<Detection> Detect(PhotoViews photo)
    {
        using var gray = new Mat();
        Cv2.EqualizeHist(photo.Gray, gray);
        Rect[] faces;
        int min = Math.Max(_minFaceSize, 24);
        lock (_lock)
            faces = _cascade.DetectMultiScale(gray, 1.1, 5, HaarDetectionTypes.ScaleImage, new Size(min, min), new Size());
        return faces.Select(f => new Detection(new Rect2f(f.X, f.Y, f.Width, f.Height), 1f)).ToArray();
    }

    public void Dispose() => _cascade.Dispose();
}
