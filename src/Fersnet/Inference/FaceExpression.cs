using System.Text.Json.Serialization;
using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Models;
using TorchSharp;

namespace Fersnet.Inference;

/// <summary>
/// A face's box in the photo, in pixels of the upright image (after EXIF orientation), top-left origin. A detector's box
/// may reach past the photo's edges (a face cut by the border); clip it before cutting a sub-image out of the photo.
/// </summary>
public sealed record FaceBox(int X, int Y, int Width, int Height);

/// <summary>One face found in a photo and what the model reads in it.</summary>
/// <param name="Box">Where the detector found the face (the whole image with <see cref="DetectorKind.None"/>).</param>
/// <param name="DetectionScore">The detector's confidence, 0..1 (1 for <see cref="DetectorKind.None"/> and the Haar cascade).</param>
/// <param name="Probabilities">
/// Probability of each expression the model knows, 0..1, summing to 1, under the fixed lower-case names of
/// <see cref="Data.Expression"/> (<c>neutral, anger, contempt, disgust, fear, happiness, sadness, surprise</c>) in that
/// order; an expression the model was not trained on is absent (FER2013 models have no <c>contempt</c>).
/// </param>
/// <param name="Dominant">The most probable expression's name.</param>
public sealed record FaceExpression(FaceBox Box, double DetectionScore, IReadOnlyDictionary<string, double> Probabilities, string Dominant)
{
    /// <summary>The most probable expression as the enum the rest of the library takes (to re-draw the face with it, say).</summary>
    [JsonIgnore]
    public Expression DominantExpression => Expressions.Parse(Dominant);
}

/// <summary>The outcome for one photo of a batch: its faces, or why it could not be read (then <see cref="Faces"/> is empty).</summary>
/// <param name="Source">The file path, or the name given to bytes and streams.</param>
/// <param name="Faces">The faces found, in the detector's order (BlazeFace: most confident first); empty when none was found.</param>
/// <param name="Error">One line naming the problem (empty, truncated, not an image, too many pixels, …), or null.</param>
public sealed record PhotoResult(string Source, IReadOnlyList<FaceExpression> Faces, string? Error)
{
    /// <summary>True when the photo was read (whether or not it holds a face).</summary>
    public bool Succeeded => Error is null;
}

/// <summary>How <see cref="ExpressionRecognizer"/> finds and reads faces. Each default is written here once.</summary>
public sealed record RecognizerOptions
{
    /// <summary>The face detector; <see cref="DetectorKind.None"/> takes each image as one already-cropped face.</summary>
    public DetectorKind Detector { get; init; } = DetectorKind.BlazeFace;

    /// <summary>Faces whose detected box is smaller than this (pixels, shorter side) are left out.</summary>
    public int MinFaceSize { get; init; } = 20;

    /// <summary>Images with more pixels than this are refused from their header, before decoding (50 megapixels).</summary>
    public long MaxPixels { get; init; } = 50_000_000;

    /// <summary>How much a detected box is enlarged (its longer side times this) for the square crop the model sees.</summary>
    public double CropScale { get; init; } = FaceCrop.DefaultScale;

    /// <summary>Test-time augmentation: each face's probabilities are the mean of its own and its mirror image's (twice the
    /// network's compute; detection, which costs more per photo, is unchanged). Measured gains: docs/RESULTS.md.</summary>
    public bool Mirror { get; init; } = true;

    /// <summary>Test-time augmentation: each face also read moved this many pixels left, right, up and down (five times
    /// the network's compute, ten with <see cref="Mirror"/>); 0: not. Measured gains: docs/RESULTS.md.</summary>
    public int Shift { get; init; }

    /// <summary>The views of each face whose probabilities are averaged, from <see cref="Mirror"/> and <see cref="Shift"/>.</summary>
    public TestTimeViews Views => new(Mirror, Shift);

    /// <summary>Most faces sent through the network in one forward pass when recognising many photos.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Where the network runs (<see cref="Runtime.ComputeDevice.Parse"/>); the model and every input tensor are moved there. Null: the CPU.</summary>
    public torch.Device? Device { get; init; }

    internal void Validate()
    {
        if (MinFaceSize < 0) throw new ArgumentOutOfRangeException(nameof(MinFaceSize), MinFaceSize, "must be 0 or more");
        if (MaxPixels < 1) throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "must be positive");
        if (CropScale is < 0.5 or > 4) throw new ArgumentOutOfRangeException(nameof(CropScale), CropScale, "must be between 0.5 and 4");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be positive");
        if (Shift < 0) throw new ArgumentOutOfRangeException(nameof(Shift), Shift, "must be 0 or more");
    }
}
