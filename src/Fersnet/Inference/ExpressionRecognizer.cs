using Fersnet.Data;
using Fersnet.Imaging;
using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Inference;

/// <summary>
/// Photos in, expressions out: finds the faces in a photo, crops them as the training faces were cropped and reads their
/// expressions with a trained model (the bundled FER2013 model unless a checkpoint is given).
/// </summary>
/// <remarks>
/// Thread-safety: one instance may be used from many threads at once. Decoding, detection and cropping run in the
/// calling thread (the detector network is guarded by its own lock); the expression network's forward pass is
/// serialised by a lock, so concurrent calls give the same answers as sequential ones. For throughput, batch
/// (<see cref="Recognize(IReadOnlyList{Mat})"/>, <see cref="RecognizeFiles"/>) rather than call from many threads.
/// </remarks>
public sealed class ExpressionRecognizer : IDisposable
{
    private readonly TrainedModel _model;
    private readonly IFaceDetector _detector;
    private readonly Device _device;
    private readonly Lock _forward = new();
    private readonly int _imageSize;

    /// <summary>The options in use.</summary>
    public RecognizerOptions Options { get; }

    /// <summary>The checkpoint file the model was loaded from.</summary>
    public string ModelPath => _model.Path;

    /// <summary>What the checkpoint says of the model: data, classes, training, measured accuracy.</summary>
    public Training.CheckpointHeader ModelHeader => _model.Header;

    /// <summary>The expressions the model tells apart (the keys of <see cref="FaceExpression.Probabilities"/>), in output order.</summary>
    public IReadOnlyList<string> Expressions => _model.Labels.Names;

    private ExpressionRecognizer(TrainedModel model, IFaceDetector detector, RecognizerOptions options)
    {
        (_model, _detector, Options) = (model, detector, options);
        _device = options.Device ?? Runtime.ComputeDevice.Cpu;
        _model.Model.eval();
        _imageSize = model.Model.Config.ImageSize;
    }

    /// <summary>Loads the bundled model (<see cref="ModelFiles.BundledExpressionModel"/>) or <paramref name="checkpoint"/>, and the detector.</summary>
    /// <exception cref="Training.CheckpointException">Missing, damaged or mismatched checkpoint; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">A bundled model file or the Haar cascade is not installed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range (<see cref="RecognizerOptions"/>).</exception>
    public static ExpressionRecognizer Load(string? checkpoint = null, RecognizerOptions? options = null)
    {
        options ??= new RecognizerOptions();
        options.Validate();
        Runtime.TorchRuntime.Initialize();
        var model = TrainedModel.Load(checkpoint ?? ModelFiles.Find(ModelFiles.BundledExpressionModel), options.Device);
        try
        {
            options.Views.Validate(model.Model.Config.ImageSize);
            return new ExpressionRecognizer(model, FaceDetectors.Create(options.Detector, options.MinFaceSize), options);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The faces in an image file and their expressions; empty when it holds no face.</summary>
    /// <exception cref="ImageException">The file cannot be read, is not an image, or has more pixels than <see cref="RecognizerOptions.MaxPixels"/>.</exception>
    public IReadOnlyList<FaceExpression> Recognize(string path)
    {
        using var image = PhotoDecoder.ReadColor(path, Options.MaxPixels);
        return Recognize(image);
    }

    /// <summary>Reads and decodes an image file exactly as <see cref="Recognize(string)"/> does: upright 8-bit BGR, pixel limit checked first.</summary>
    /// <returns>A new image; the caller disposes it.</returns>
    /// <exception cref="ImageException">The file cannot be read, is not an image, or has too many pixels.</exception>
    public Mat ReadImage(string path) => PhotoDecoder.ReadColor(path, Options.MaxPixels);

    /// <summary>Decodes an encoded image exactly as <see cref="Recognize(byte[], string)"/> does: upright 8-bit BGR, pixel limit checked from the header first.</summary>
    /// <returns>A new image; the caller disposes it.</returns>
    /// <exception cref="ImageException">Not a readable image, or too many pixels.</exception>
    public Mat DecodeImage(byte[] encoded, string name = "image") => PhotoDecoder.DecodeColor(encoded, name, Options.MaxPixels);

    /// <summary>The faces in an encoded image (PNG, JPEG, BMP, GIF, WebP, TIFF, PNM); <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="ImageException">Not a readable image, or too many pixels.</exception>
    public IReadOnlyList<FaceExpression> Recognize(byte[] encoded, string name = "image")
    {
        using var image = PhotoDecoder.DecodeColor(encoded, name, Options.MaxPixels);
        return Recognize(image);
    }

    /// <summary>The faces in an encoded image read from <paramref name="stream"/> (to its end; at most what the pixel limit allows).</summary>
    /// <exception cref="ImageException">Not a readable image, too many pixels or too many bytes.</exception>
    public IReadOnlyList<FaceExpression> Recognize(Stream stream, string name = "stream")
    {
        long limit = Options.MaxPixels * 8 + (1 << 20);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > limit) throw new ImageException(name, $"stream is longer than {limit:N0} bytes, too large for the pixel limit");
            buffer.Write(chunk, 0, read);
        }
        return Recognize(buffer.ToArray(), name);
    }

    /// <summary>The faces in a decoded, upright image: 8-bit grayscale, BGR or BGRA (OpenCV's channel order).</summary>
    /// <exception cref="ArgumentException">The image is empty or not 8-bit gray, BGR or BGRA.</exception>
    public IReadOnlyList<FaceExpression> Recognize(Mat image) => Recognize([image])[0];

    /// <summary>The faces in each of several decoded images; all their faces go through the network in one batch.</summary>
    /// <exception cref="ArgumentException">An image is empty or not 8-bit gray, BGR or BGRA.</exception>
    public IReadOnlyList<IReadOnlyList<FaceExpression>> Recognize(IReadOnlyList<Mat> images)
    {
        var prepared = images.Select(Prepare).ToList();
        return Classify(prepared);
    }

    /// <summary>
    /// Recognises many image files, streamed: photos are read until their faces reach <see cref="RecognizerOptions.BatchSize"/>
    /// (a photo's faces are never split), and those faces go through the network together. One result per path, in order;
    /// a file that cannot be read gives a result with its <see cref="PhotoResult.Error"/> and the batch goes on.
    /// </summary>
    public IEnumerable<PhotoResult> RecognizeFiles(IEnumerable<string> paths, CancellationToken cancellationToken = default) =>
        RecognizeFiles(paths.Select(p => new ImageInput(p, null)), cancellationToken);

    /// <summary>
    /// As <see cref="RecognizeFiles(IEnumerable{string}, CancellationToken)"/>, for inputs expanded by <see cref="ImageFiles.Expand"/>:
    /// an input with a problem (no such file, an empty folder) gives a failed result in its place.
    /// </summary>
    public IEnumerable<PhotoResult> RecognizeFiles(IEnumerable<ImageInput> inputs, CancellationToken cancellationToken = default)
    {
        var pending = new List<(string Path, PreparedPhoto? Photo, string? Error)>();
        int faces = 0;
        foreach (var (path, problem) in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (problem is not null)
            {
                pending.Add((path, null, problem));
                continue;
            }
            try
            {
                using var image = PhotoDecoder.ReadColor(path, Options.MaxPixels);
                var photo = Prepare(image);
                pending.Add((path, photo, null));
                faces += photo.Detections.Count;
            }
            catch (ImageException e)
            {
                pending.Add((path, null, e.Problem));
            }
            if (faces >= Options.BatchSize)
            {
                foreach (var result in Flush(pending)) yield return result;
                faces = 0;
            }
        }
        foreach (var result in Flush(pending)) yield return result;
    }

    private List<PhotoResult> Flush(List<(string Path, PreparedPhoto? Photo, string? Error)> pending)
    {
        var read = pending.Where(p => p.Photo is not null).Select(p => p.Photo!).ToList();
        var answers = Classify(read);
        var results = new List<PhotoResult>(pending.Count);
        int next = 0;
        foreach (var (path, photo, error) in pending)
            results.Add(photo is null ? new PhotoResult(path, [], error) : new PhotoResult(path, answers[next++], null));
        pending.Clear();
        return results;
    }

    /// <summary>A photo's detections and their crops, ready for the network (the decoded image is no longer needed).</summary>
    private sealed record PreparedPhoto(IReadOnlyList<Detection> Detections, float[] Crops);

    private PreparedPhoto Prepare(Mat image)
    {
        using var photo = new PhotoViews(image);
        var detections = _detector.Detect(photo);
        int pixels = _imageSize * _imageSize;
        var crops = new float[detections.Count * pixels];
        for (int i = 0; i < detections.Count; i++)
            FaceCrop.Extract(photo.Gray, FaceCrop.Square(detections[i].Box, CropScale), _imageSize, crops.AsSpan(i * pixels, pixels));
        return new PreparedPhoto(detections, crops);
    }

    /// <summary>How much a detector's box is enlarged (<see cref="RecognizerOptions.CropScale"/>); an image that is already a face crop is taken whole.</summary>
    private double CropScale => Options.Detector == DetectorKind.None ? 1.0 : Options.CropScale;

    /// <summary>One forward pass over every face of <paramref name="photos"/>.</summary>
    private IReadOnlyList<IReadOnlyList<FaceExpression>> Classify(IReadOnlyList<PreparedPhoto> photos)
    {
        int total = photos.Sum(p => p.Detections.Count), pixels = _imageSize * _imageSize, classes = _model.Labels.Count;
        var probabilities = new float[total * classes];
        if (total > 0)
        {
            var input = new float[total * pixels];
            int at = 0;
            foreach (var photo in photos) { photo.Crops.CopyTo(input, at); at += photo.Crops.Length; }
            lock (_forward)
            {
                using var _ = no_grad();
                using var scope = NewDisposeScope();
                var batch = tensor(input, [total, 1, _imageSize, _imageSize]).to(_device);          // (N,1,H,W)
                var p = nn.functional.softmax(_model.Model.call(batch, null).FerLogits, 1);          // (N,classes)
                p = _model.Model.ViewAveraged(p, batch, Options.Views);                              // the other views' too
                p.cpu().data<float>().CopyTo(probabilities);
            }
        }
        var names = _model.Labels.Names;
        var results = new List<IReadOnlyList<FaceExpression>>(photos.Count);
        int face = 0;
        foreach (var photo in photos)
        {
            var faces = new List<FaceExpression>(photo.Detections.Count);
            foreach (var d in photo.Detections)
            {
                var row = probabilities.AsSpan(face++ * classes, classes);
                var dict = new Dictionary<string, double>(classes);
                int best = 0;
                for (int c = 0; c < classes; c++)
                {
                    dict[names[c]] = row[c];
                    if (row[c] > row[best]) best = c;
                }
                var box = new FaceBox((int)Math.Round(d.Box.X), (int)Math.Round(d.Box.Y), (int)Math.Round(d.Box.Width), (int)Math.Round(d.Box.Height));
                faces.Add(new FaceExpression(box, d.Score, dict, names[best]));
            }
            results.Add(faces);
        }
        return results;
    }

    /// <summary>Releases the model and the detector.</summary>
    public void Dispose()
    {
        _model.Dispose();
        _detector.Dispose();
    }
}
