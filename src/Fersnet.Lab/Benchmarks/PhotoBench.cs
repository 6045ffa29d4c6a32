using System.Diagnostics;
using System.Text;
using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Lab.Reporting;
using OpenCvSharp;

namespace Fersnet.Lab.Benchmarks;

/// <summary>Median and range of repeated rate measurements (items per second).</summary>
public sealed record Rate(double Median, double Min, double Max, int Repetitions)
{
    internal static Rate Of(IReadOnlyList<double> rates)
    {
        var sorted = rates.Order().ToArray();
        return new Rate(sorted[sorted.Length / 2], sorted[0], sorted[^1], sorted.Length);
    }
}

/// <summary>What <see cref="PhotoBench.Run"/> measured: face detection against reference boxes, and speed.</summary>
/// <param name="Detection">Each photo's found, detected and false boxes (BlazeFace and the Haar cascade).</param>
/// <param name="Photos">Photos per second, end to end (read, decode, detect, crop, recognise), the reference photos in one streamed batch.</param>
/// <param name="Faces">Faces per second on 48x48 face crops, <paramref name="FaceBatch"/> at a time (no detection: each image is one face).</param>
/// <param name="LoadAverage">/proc/loadavg just before the speed measurements: other processes' share of the CPU.</param>
public sealed record PhotoBenchResult(
    string Model, IReadOnlyList<DetectionScore> Detection, Rate Photos, int PhotoCount, Rate Faces, int FaceBatch, int FaceCount, string LoadAverage);

/// <summary>
/// <c>fersnet detect-eval</c>: how well each detector finds the reference faces of <c>../shared/photos</c>, and how fast
/// photos and face crops go through <see cref="ExpressionRecognizer"/> with the bundled model.
/// </summary>
public static class PhotoBench
{
    /// <param name="referenceFile">faces.json beside the photos.</param>
    /// <param name="crops">48x48 face crops for the faces/s figure (e.g. FER2013 PrivateTest).</param>
    public static PhotoBenchResult Run(string referenceFile, IReadOnlyList<string> crops, string? checkpoint = null, int repetitions = 5, int faceBatch = 64)
    {
        var detection = new List<DetectionScore>();
        foreach (var kind in new[] { DetectorKind.BlazeFace, DetectorKind.Haar })
        {
            using var recognizer = ExpressionRecognizer.Load(checkpoint, new RecognizerOptions { Detector = kind });
            detection.Add(DetectionEvaluation.Evaluate(recognizer, referenceFile));
        }

        string load = LoadAverage();
        string folder = Path.GetDirectoryName(Path.GetFullPath(referenceFile))!;
        var photos = detection[0].Photos.Select(p => Path.Combine(folder, p.Photo)).ToArray();
        string model;
        var photoRates = new List<double>();
        using (var recognizer = ExpressionRecognizer.Load(checkpoint))
        {
            model = recognizer.ModelPath;
            _ = recognizer.RecognizeFiles(photos).ToList();
            for (int r = 0; r < repetitions; r++)
            {
                var clock = Stopwatch.StartNew();
                int read = recognizer.RecognizeFiles(photos).Count(p => p.Succeeded);
                photoRates.Add(read / clock.Elapsed.TotalSeconds);
            }
        }

        var faceRates = new List<double>();
        using (var recognizer = ExpressionRecognizer.Load(checkpoint, new RecognizerOptions { Detector = DetectorKind.None }))
        {
            var images = crops.Select(c => Cv2.ImRead(c, ImreadModes.Grayscale)).Where(m => !m.Empty()).ToList();
            try
            {
                var batches = images.Chunk(faceBatch).Select(b => (IReadOnlyList<Mat>)b).ToList();
                _ = recognizer.Recognize(batches[0]);
                for (int r = 0; r < repetitions; r++)
                {
                    var clock = Stopwatch.StartNew();
                    int faces = batches.Sum(b => recognizer.Recognize(b).Sum(f => f.Count));
                    faceRates.Add(faces / clock.Elapsed.TotalSeconds);
                }
            }
            finally
            {
                foreach (var image in images) image.Dispose();
            }
            return new PhotoBenchResult(model, detection, Rate.Of(photoRates), photos.Length, Rate.Of(faceRates), faceBatch, images.Count, load);
        }
    }

    /// <summary>/proc/loadavg: the CPU's load before a measurement ("unknown" off Linux).</summary>
    internal static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Trim(); }
        catch (IOException) { return "unknown"; }
    }

    /// <summary>The notebook section: detection table per detector and photo, then the speed figures with the CPU load.</summary>
    public static string Section(PhotoBenchResult result, Provenance provenance, string command)
    {
        var text = Notebook.Section("Photos in, expressions out: face detection and speed (issue 18)", command, provenance);
        text.AppendLine($"- Expression model: `{Path.GetFileName(result.Model)}` (the bundled model); photos: `../shared/photos` (six group photos, 22 reference faces; a reference face is found when a box overlaps it with IoU ≥ {result.Detection[0].IoUThreshold:0.0#}).");
        text.AppendLine($"- CPU load before the speed figures (/proc/loadavg): `{result.LoadAverage}`. On this machine a long training usually runs beside, on both cores: the speeds are then lower bounds.");
        text.AppendLine();
        var rows = new List<IReadOnlyList<string>>();
        foreach (var score in result.Detection)
        {
            foreach (var p in score.Photos)
                rows.Add([score.Detector, p.Photo, $"{p.Found}/{p.References}", p.Detected.ToString(), p.FalseBoxes.ToString()]);
            rows.Add([$"**{score.Detector}**", "**all six**", $"**{score.Found}/{score.References}**", $"**{score.Photos.Sum(p => p.Detected)}**", $"**{score.FalseBoxes}**"]);
        }
        text.AppendLine(Markdown.Table(["detector", "photo", "found", "boxes", "false boxes"], rows));
        text.AppendLine();
        text.AppendLine($"- Goal: ≥ 21 of 22 found and ≤ 2 false boxes. BlazeFace: {result.Detection[0].Found} of {result.Detection[0].References}, {result.Detection[0].FalseBoxes} false.");
        text.AppendLine($"- Photos end to end (read, decode, detect, crop, recognise; the {result.PhotoCount} photos, 1920 px wide, streamed as `predict` does): **{Markdown.Number(result.Photos.Median, 1)} photos/s** (median of {result.Photos.Repetitions}, {Markdown.Number(result.Photos.Min, 1)}–{Markdown.Number(result.Photos.Max, 1)}); goal ≥ 5.");
        text.AppendLine($"- Face crops (48x48 FER2013 PrivateTest images, no detection, {result.FaceBatch} a batch, {result.FaceCount} faces, crop + normalise + forward): **{Markdown.Number(result.Faces.Median, 0)} faces/s** (median of {result.Faces.Repetitions}, {Markdown.Number(result.Faces.Min, 0)}–{Markdown.Number(result.Faces.Max, 0)}); goal ≥ 400.");
        return text.ToString();
    }
}
