using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace Fersnet.Imaging;

/// <summary>
/// MediaPipe's full-range BlazeFace (<c>face_detection_full_range.tflite</c>, Apache-2.0, from the npm package
/// <c>@mediapipe/face_detection</c>; see models/detectors/README.md) run by OpenCV's DNN module. The network sees a
/// 192x192 RGB image in [-1, 1] and scores 2,304 anchors (a 48x48 grid, stride 4); each anchor regresses a box
/// centre and size. The photo is letterboxed into the input whole, and, when it is large, also in overlapping
/// tiles so that small faces keep enough pixels; boxes of all passes are merged by weighted non-maximum
/// suppression as in MediaPipe's graph.
/// </summary>
internal sealed class BlazeFaceDetector : IFaceDetector
{
    private const int InputSize = 192;
    private const int Grid = 48;

    /// <summary>MediaPipe's default minimum detection confidence.</summary>
    internal const float ScoreThreshold = 0.5f;

    /// <summary>Boxes overlapping more than this are one face (MediaPipe's min_suppression_threshold).</summary>
    private const float SuppressionIoU = 0.3f;

    /// <summary>
    /// Tiles are added when a face of this share of the photo's longer side would shrink below ~12 network pixels
    /// in the whole-image pass: the full-range model's smallest reliable faces.
    /// </summary>
    private const int TileAbove = 640;

    private readonly Net _net;
    private readonly int _minFaceSize;
    private readonly Lock _lock = new();

    public BlazeFaceDetector(string modelPath, int minFaceSize)
    {
        _net = CvDnn.ReadNet(modelPath) ?? throw new InvalidDataException($"{modelPath}: OpenCV could not load the face detection model");
        _net.SetPreferableBackend(Backend.OPENCV);
        _net.SetPreferableTarget(Target.CPU);
        _minFaceSize = minFaceSize;
    }

    public IReadOnlyList<Detection> Detect(PhotoViews photo)
    {
        var bgr = photo.Bgr;
        var raw = new List<Detection>();
        foreach (var region in Regions(bgr.Cols, bgr.Rows))
        {
            using var view = new Mat(bgr, region);
            raw.AddRange(DetectIn(view).Select(d => d with { Box = new Rect2f(d.Box.X + region.X, d.Box.Y + region.Y, d.Box.Width, d.Box.Height) }));
        }
        return WeightedSuppression(raw)
            .Where(d => Math.Min(d.Box.Width, d.Box.Height) >= _minFaceSize)
            .ToArray();
    }

    /// <summary>The whole image, and for a large one a 2x2 grid of tiles overlapping by a third of a tile.</summary>
    internal static IEnumerable<Rect> Regions(int width, int height)
    {
        yield return new Rect(0, 0, width, height);
        if (Math.Max(width, height) <= TileAbove) yield break;
        int tileW = (int)Math.Ceiling(width * 0.6), tileH = (int)Math.Ceiling(height * 0.6);
        foreach (int y in new[] { 0, height - tileH })
            foreach (int x in new[] { 0, width - tileW })
                yield return new Rect(x, y, tileW, tileH);
    }

    private List<Detection> DetectIn(Mat bgr)
    {
        float scale = (float)InputSize / Math.Max(bgr.Cols, bgr.Rows);
        int w = Math.Max(1, (int)Math.Round(bgr.Cols * scale)), h = Math.Max(1, (int)Math.Round(bgr.Rows * scale));
        int padX = (InputSize - w) / 2, padY = (InputSize - h) / 2;
        using var resized = new Mat();
        Cv2.Resize(bgr, resized, new Size(w, h), 0, 0, InterpolationFlags.Area);
        using var square = new Mat();
        Cv2.CopyMakeBorder(resized, square, padY, InputSize - h - padY, padX, InputSize - w - padX, BorderTypes.Constant, Scalar.All(0));
        using var blob = CvDnn.BlobFromImage(square, 1 / 127.5, new Size(InputSize, InputSize), Scalar.All(127.5), swapRB: true, crop: false);

        string[] names;
        Mat[] outputs;
        lock (_lock)
        {
            names = _net.GetUnconnectedOutLayersNames()!.Select(n => n!).ToArray();
            outputs = names.Select(_ => new Mat()).ToArray();
            _net.SetInput(blob);
            _net.Forward(outputs, names);
        }
        try
        {
            var scores = outputs[Array.FindIndex(names, n => n.Contains("classifier"))];
            var boxes = outputs[Array.FindIndex(names, n => n.Contains("regressor"))];
            return Decode(scores, boxes, scale, padX, padY);
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
        }
    }

    private static List<Detection> Decode(Mat scores, Mat boxes, float scale, int padX, int padY)
    {
        int anchors = Grid * Grid, coords = (int)(boxes.Total() / anchors);
        var found = new List<Detection>();
        unsafe
        {
            var s = new ReadOnlySpan<float>((void*)scores.Data, anchors);
            var b = new ReadOnlySpan<float>((void*)boxes.Data, anchors * coords);
            for (int i = 0; i < anchors; i++)
            {
                float score = 1f / (1f + MathF.Exp(-Math.Clamp(s[i], -100f, 100f)));
                if (score < ScoreThreshold) continue;
                float anchorX = (i % Grid + 0.5f) / Grid * InputSize, anchorY = (i / Grid + 0.5f) / Grid * InputSize;
                var r = b.Slice(i * coords, 4);
                float cx = r[0] + anchorX, cy = r[1] + anchorY, bw = r[2], bh = r[3];
                found.Add(new Detection(new Rect2f((cx - bw / 2 - padX) / scale, (cy - bh / 2 - padY) / scale, bw / scale, bh / scale), score));
            }
        }
        return found;
    }

    /// <summary>MediaPipe's weighted non-maximum suppression: overlapping boxes are averaged, weighted by their scores.</summary>
    internal static List<Detection> WeightedSuppression(List<Detection> detections)
    {
        var remaining = detections.OrderByDescending(d => d.Score).ToList();
        var kept = new List<Detection>();
        while (remaining.Count > 0)
        {
            var top = remaining[0];
            var cluster = remaining.Where(d => FaceDetectors.IoU(top.Box, d.Box) > SuppressionIoU).ToList();
            remaining.RemoveAll(cluster.Contains);
            float total = cluster.Sum(d => d.Score);
            float x = cluster.Sum(d => d.Box.X * d.Score) / total, y = cluster.Sum(d => d.Box.Y * d.Score) / total;
            float w = cluster.Sum(d => d.Box.Width * d.Score) / total, h = cluster.Sum(d => d.Box.Height * d.Score) / total;
            kept.Add(new Detection(new Rect2f(x, y, w, h), top.Score));
        }
        return kept;
    }

    public void Dispose() => _net.Dispose();
}
