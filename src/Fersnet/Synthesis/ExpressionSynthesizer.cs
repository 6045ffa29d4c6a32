using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Models;
using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Synthesis;

/// <summary>
/// Re-draws faces with a chosen expression through a trained model's synthesis (FES) branch: images in, images out
/// (the tensor-level forms and the paper's enlarged training set: <see cref="SyntheticFaces"/>). The model is only read.
/// </summary>
/// <remarks>
/// An instance wraps a trained model for images: <see cref="Synthesize(Mat, Expression)"/> takes a face as OpenCV
/// decoded it (any size, gray or colour), gives it the training's pre-processing (8-bit gray, resized to the model's
/// side, scaled to [-1,1]) and returns the re-drawn face as an 8-bit gray image of the model's side. An instance is
/// thread-safe: calls from several threads take turns on the model.
/// </remarks>
public sealed class ExpressionSynthesizer : IDisposable
{
    private readonly TrainedModel _trained;
    private readonly Lock _forward = new();

    /// <summary>Wraps a loaded model with a synthesis branch; the synthesizer then owns it and disposes it.</summary>
    /// <exception cref="ArgumentException">The model cannot synthesise (single-task).</exception>
    public ExpressionSynthesizer(TrainedModel trained)
    {
        if (!trained.Model.Config.HasSynthesis)
            throw new ArgumentException($"{trained.Path}: a {trained.Model.Config.Kind} model has no synthesis branch");
        _trained = trained;
    }

    /// <summary>Loads <paramref name="checkpoint"/>, or the bundled synthesis model (<see cref="ModelFiles.BundledSynthesisModel"/>; its card is in models/README.md).</summary>
    /// <param name="device">Where the model runs (default: the CPU).</param>
    /// <exception cref="Training.CheckpointException">Missing, damaged or mismatched checkpoint.</exception>
    /// <exception cref="FileNotFoundException">No checkpoint given and the bundled model is not installed.</exception>
    /// <exception cref="ArgumentException">The model cannot synthesise (single-task).</exception>
    public static ExpressionSynthesizer Load(string? checkpoint = null, Device? device = null)
    {
        Runtime.TorchRuntime.Initialize();
        var trained = TrainedModel.Load(checkpoint ?? ModelFiles.Find(ModelFiles.BundledSynthesisModel), device);
        try { return new ExpressionSynthesizer(trained); }
        catch { trained.Dispose(); throw; }
    }

    /// <summary>The checkpoint the model was loaded from.</summary>
    public string ModelPath => _trained.Path;

    /// <summary>What the checkpoint says of the model: data, classes, training.</summary>
    public Training.CheckpointHeader ModelHeader => _trained.Header;

    internal MultiTaskModel Model => _trained.Model;

    /// <summary>The expressions this model draws, in its class order.</summary>
    public LabelSet Labels => _trained.Labels;

    /// <summary>The expressions <see cref="Synthesize(Mat, Expression)"/> accepts (the bundled model: CK+'s seven, no neutral).</summary>
    public IReadOnlyList<Expression> Expressions => Labels.Classes;

    /// <summary>Side of the faces it takes and draws.</summary>
    public int ImageSize => Model.Config.ImageSize;

    /// <summary>
    /// A face found in a photo, cut out as <see cref="ExpressionRecognizer"/> cuts it for recognition (a square around the
    /// box, enlarged by <paramref name="cropScale"/>; edges repeated where it leaves the photo) and given the training's
    /// pre-processing: 8-bit gray, <see cref="ImageSize"/> square. Ready for <see cref="Synthesize(Mat, Expression)"/>.
    /// </summary>
    /// <returns>A new image; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The box lies outside the photo.</exception>
    public Mat CropFace(Mat photo, FaceBox box, double cropScale = FaceCrop.DefaultScale)
    {
        using var views = new PhotoViews(photo);
        var values = new float[ImageSize * ImageSize];
        FaceCrop.Extract(views.Gray, FaceCrop.Square(new Rect2f(box.X, box.Y, box.Width, box.Height), cropScale), ImageSize, values);
        return FaceImage.FromUnitRange(values, ImageSize);
    }

    /// <summary>One face re-drawn with <paramref name="target"/>.</summary>
    /// <param name="face">8-bit image, gray or BGR(A), any size</param>
    /// <returns>A new 8-bit gray image, <see cref="ImageSize"/> square; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">The model does not draw <paramref name="target"/> (see <see cref="Expressions"/>), or the face is not an 8-bit image.</exception>
    public Mat Synthesize(Mat face, Expression target) => Synthesize([face], [target])[0];

    /// <summary>Faces re-drawn with their targets, in batches: faces[i] with targets[i].</summary>
    /// <returns>New 8-bit gray images, one per face; the caller disposes them.</returns>
    /// <exception cref="ArgumentException">Counts differ, a target is not one of <see cref="Expressions"/>, or a face is not an 8-bit image.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    public IReadOnlyList<Mat> Synthesize(IReadOnlyList<Mat> faces, IReadOnlyList<Expression> targets, int batchSize = 128)
    {
        if (faces.Count != targets.Count) throw new ArgumentException($"{faces.Count} faces but {targets.Count} targets");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        foreach (var target in targets)
            if (!Labels.Classes.Contains(target))
                throw new ArgumentException($"{ModelPath} does not draw {target.Name()} (it draws {string.Join(", ", Labels.Names)})", nameof(targets));
        if (faces.Count == 0) return [];
        var classes = targets.Select(t => (long)Labels.IndexOf(t)).ToArray();
        float[] pixels;
        using (var scope = NewDisposeScope())
        {
            var images = SyntheticFaces.Preprocess(faces, ImageSize);                                        // (N,1,H,W)
            lock (_forward)
            {
                var drawn = SyntheticFaces.Redraw(Model, images, tensor(classes, ScalarType.Int64), batchSize);   // (N,1,H,W)
                pixels = drawn.contiguous().data<float>().ToArray();
            }
        }
        int area = ImageSize * ImageSize;
        return Enumerable.Range(0, faces.Count)
            .Select(i => FaceImage.FromUnitRange(pixels.AsSpan(i * area, area), ImageSize)).ToArray();
    }

    /// <summary>Releases the model.</summary>
    public void Dispose() => _trained.Dispose();
}
