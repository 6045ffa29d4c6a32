using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Data;

/// <summary>Training-time augmentation settings. Shift is in pixels, rotation in degrees, brightness and contrast as fractions.</summary>
public sealed record AugmentConfig(
    bool Enabled = true,
    double MaxShift = 4,
    double FlipProbability = 0.5,
    double MaxRotationDegrees = 10,
    double MaxScale = 0.05,
    double Brightness = 0.15,
    double Contrast = 0.15)
{
    public static AugmentConfig None => new(Enabled: false);
}

/// <summary>
/// Augments a batch on tensors: one random affine transform per image (shift, flip, rotation, zoom) applied
/// with a single affine_grid + grid_sample, then per-image brightness and contrast. Draws from a seeded
/// generator so a run is repeatable.
/// </summary>
public sealed class Augmenter(AugmentConfig config, Generator generator)
{
    public AugmentConfig Config { get; } = config;

    /// <param name="images">(B,1,H,W) in [-1,1]</param>
    /// <returns>(B,1,H,W) in [-1,1]; the input itself when augmentation is off.</returns>
    public Tensor Apply(Tensor images)
    {
        if (!Config.Enabled) return images;
        using var scope = NewDisposeScope();
        return Transform(images, Draw(images.shape[0], images.shape[2], images.device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Two batches moved alike: image i of both gets the same transform (a face and the reference it is compared
    /// with, e.g. the paired loss's real face of the same subject).
    /// </summary>
    /// <param name="images">(B,1,H,W) in [-1,1]</param>
    /// <param name="partners">(B,1,H,W) in [-1,1]</param>
    public (Tensor Images, Tensor Partners) ApplyAlike(Tensor images, Tensor partners)
    {
        if (!Config.Enabled) return (images, partners);
        using var scope = NewDisposeScope();
        var draw = Draw(images.shape[0], images.shape[2], images.device);
        return (Transform(images, draw).MoveToOuterDisposeScope(), Transform(partners, draw).MoveToOuterDisposeScope());
    }

    private sealed record Parameters(Tensor Angle, Tensor Scale, Tensor Flip, Tensor ShiftX, Tensor ShiftY, Tensor Contrast, Tensor Brightness);

    /// <summary>One random transform per image, drawn in a fixed order from the seeded generator.</summary>
    private Parameters Draw(long batch, long height, Device device)
    {
        // Drawn on the host generator (one random stream for the run, whatever the device), then moved to the images.
        Tensor Uniform(double range) => ((rand([batch], generator: generator) * 2 - 1) * range).to(device);   // (B) in [-range, range]
        var angle = Uniform(Config.MaxRotationDegrees * Math.PI / 180);
        var scale = 1 + Uniform(Config.MaxScale);
        var flip = where(rand([batch], generator: generator) < Config.FlipProbability, -1f, 1f).to(device);
        var shiftX = Uniform(Config.MaxShift * 2 / height);   // normalised coordinates span 2 over the image
        var shiftY = Uniform(Config.MaxShift * 2 / height);
        var contrast = (1 + Uniform(Config.Contrast)).view(batch, 1, 1, 1);
        var brightness = Uniform(Config.Brightness).view(batch, 1, 1, 1);
        return new Parameters(angle, scale, flip, shiftX, shiftY, contrast, brightness);
    }

    private static Tensor Transform(Tensor images, Parameters p)
    {
        var (angle, scale, flip, shiftX, shiftY, contrast, brightness) = p;

        // theta maps output to input coordinates: [[s·f·cos, −s·sin, tx], [s·f·sin, s·cos, ty]]
        var cos = angle.cos() * scale;
        var sin = angle.sin() * scale;
        var theta = stack([
            stack([cos * flip, -sin, shiftX], 1),
            stack([sin * flip, cos, shiftY], 1),
        ], 1);                                                                                   // (B,2,3)
        var grid = nn.functional.affine_grid(theta, images.shape, align_corners: false);       // (B,H,W,2)
        var warped = nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);

        var mean = warped.mean([1, 2, 3], keepdim: true);
        return ((warped - mean) * contrast + mean + brightness).clamp(-1, 1);
    }
}
