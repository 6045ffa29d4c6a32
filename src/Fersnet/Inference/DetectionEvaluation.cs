using System.Diagnostics;
using System.Text.Json;
using Fersnet.Imaging;
using OpenCvSharp;

namespace Fersnet.Inference;

/// <summary>How a detector did on one photo with reference boxes.</summary>
/// <param name="Found">Reference faces that one of the detector's boxes overlaps with IoU at or above the threshold.</param>
/// <param name="FalseBoxes">Detected boxes that overlap no reference face at the threshold.</param>
/// <param name="Seconds">Decoding, detection and recognition of the photo, end to end.</param>
public sealed record PhotoDetectionScore(string Photo, int References, int Found, int Detected, int FalseBoxes, double Seconds);

/// <summary>A detector's score on a folder of photos with reference boxes (<c>faces.json</c>).</summary>
public sealed record DetectionScore(string Detector, double IoUThreshold, IReadOnlyList<PhotoDetectionScore> Photos)
{
    public int References => Photos.Sum(p => p.References);
    public int Found => Photos.Sum(p => p.Found);
    public int FalseBoxes => Photos.Sum(p => p.FalseBoxes);
    public double Seconds => Photos.Sum(p => p.Seconds);
    public double PhotosPerSecond => Seconds > 0 ? Photos.Count / Seconds : 0;
}

/// <summary>
/// Scores face detection against reference boxes, as <c>../shared/photos/faces.json</c> lays them out: per photo
/// <c>{width, height, faces: [{x, y, width, height}]}</c>. A reference face counts as found when a detected box overlaps
/// it with IoU ≥ the threshold (0.4: detectors differ in how much forehead and chin they take).
/// </summary>
public static class DetectionEvaluation
{
    public const double DefaultIoU = 0.4;

    /// <summary>Runs <paramref name="recognizer"/> (after one untimed warm-up photo) on every photo of <paramref name="referenceFile"/> (photos beside it).</summary>
    /// <exception cref="InvalidDataException">The reference file is not in the expected form.</exception>
    public static DetectionScore Evaluate(ExpressionRecognizer recognizer, string referenceFile, double iou = DefaultIoU)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(referenceFile));
        string folder = Path.GetDirectoryName(Path.GetFullPath(referenceFile))!;
        var photos = new List<PhotoDetectionScore>();
        // One untimed pass first: the first forward passes of both networks pay one-off set-up costs.
        if (document.RootElement.EnumerateObject().FirstOrDefault() is { Name: { } first }) recognizer.Recognize(Path.Combine(folder, first));
        foreach (var photo in document.RootElement.EnumerateObject())
        {
            if (!photo.Value.TryGetProperty("faces", out var faces)) throw new InvalidDataException($"{referenceFile}: {photo.Name} has no 'faces' list");
            var references = faces.EnumerateArray()
                .Select(f => new Rect2f(f.GetProperty("x").GetSingle(), f.GetProperty("y").GetSingle(), f.GetProperty("width").GetSingle(), f.GetProperty("height").GetSingle()))
                .ToList();
            var clock = Stopwatch.StartNew();
            var found = recognizer.Recognize(Path.Combine(folder, photo.Name));
            double seconds = clock.Elapsed.TotalSeconds;
            var boxes = found.Select(f => new Rect2f(f.Box.X, f.Box.Y, f.Box.Width, f.Box.Height)).ToList();
            int hits = references.Count(r => boxes.Any(b => FaceDetectors.IoU(r, b) >= iou));
            int falses = boxes.Count(b => references.All(r => FaceDetectors.IoU(r, b) < iou));
            photos.Add(new PhotoDetectionScore(photo.Name, references.Count, hits, boxes.Count, falses, seconds));
        }
        return new DetectionScore(recognizer.Options.Detector.ToString(), iou, photos);
    }
}
