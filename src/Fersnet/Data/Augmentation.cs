using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Data;

/// <summary>
/// Training-time augmentation settings. Shift is in pixels, rotation in degrees, brightness and contrast as fractions;
/// <paramref name="Erasing"/> null: no random erasing (left out of the saved config, so older configs read the same).
/// </summary>
public sealed record AugmentConfig(
    bool Enabled = true,
    double MaxShift = 4,
    double FlipProbability = 0.5,
    double MaxRotationDegrees = 10,
    double MaxScale = 0.05,
    double Brightness = 0.15,
    double Contrast = 0.15,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RandomErasing? Erasing = null)
{
    public static AugmentConfig None => new(Enabled: false);
}

/// <summary>
/// Random erasing (Zhong et al. 2017): with probability <paramref name="Probability"/>, one rectangle of the face
/// (<paramref name="MinArea"/>..<paramref name="MaxArea"/> of the image, height/width between 1/<paramref name="MaxAspect"/>
/// and <paramref name="MaxAspect"/>) is replaced by uniform noise.
/// </summary>
public sealed record RandomErasing(double Probability = 0.5, double MinArea = 0.02, double MaxArea = 0.25, double MaxAspect = 3.3)
{
    public void Validate()
    {
        if (Probability is < 0 or > 1) throw new ArgumentException($"erasing probability {Probability} must lie in [0,1]");
        if (MinArea <= 0 || MaxArea > 1 || MinArea > MaxArea) throw new ArgumentException($"erased area {MinArea}..{MaxArea} must lie in (0,1] and be ordered");
        if (MaxAspect < 1) throw new ArgumentException($"erased aspect ratio {MaxAspect} must be at least 1");
    }
}

/// <summary>
/// Augments a batch on tensors: one random affine transform per image (shift, flip, rotation, zoom) applied with a
/// single affine_grid + grid_sample, then per-image brightness and contrast, then (when configured) random erasing.
/// Draws from a seeded generator so a run is repeatable.
/// </summary>
public sealed class Augmenter(AugmentConfig config, Generator generator)
{
    public AugmentConfig Config { get; } = config;

    /// <summary>The affine transform and brightness/contrast; erasing is a separate step (<see cref="Erase"/>).</summary>
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

    /// <summary>
    /// Random erasing: each image, with probability p, gets one rectangle of random area and aspect ratio, at a random
    /// place inside the image, replaced by uniform noise in [-1,1]. Draws nothing when erasing (or augmentation) is off,
    /// so runs without it keep their random stream. The trainer erases what the networks read, never the faces that
    /// losses compare with.
    /// </summary>
    /// <param name="images">(B,1,H,W) in [-1,1]</param>
    /// <returns>(B,1,H,W) in [-1,1]; the input itself when erasing is off.</returns>
    public Tensor Erase(Tensor images)
    {
        if (!Config.Enabled || Config.Erasing is not { } e) return images;
        using var scope = NewDisposeScope();
        long batch = images.shape[0], height = images.shape[2], width = images.shape[3];
        Tensor Uniform(double low, double high) => rand([batch], generator: generator) * (high - low) + low;     // (B)
        var chosen = Uniform(0, 1) < e.Probability;                                                               // (B)
        var area = Uniform(e.MinArea, e.MaxArea) * (height * width);                                              // (B) pixels
        var aspect = Uniform(-Math.Log(e.MaxAspect), Math.Log(e.MaxAspect)).exp();                                // (B) h/w
        var h = (area * aspect).sqrt().clamp(1, height);                                                          // (B)
        var w = (area / aspect).sqrt().clamp(1, width);                                                           // (B)
        var top = Uniform(0, 1) * (height - h);                                                                   // (B)
        var left = Uniform(0, 1) * (width - w);                                                                   // (B)
        var noise = rand([batch, 1, height, width], generator: generator) * 2 - 1;                               // (B,1,H,W)

        // A pixel is erased when its centre lies inside: the first and the last row are erased alike.
        var rows = (arange(height, dtype: ScalarType.Float32) + 0.5).view(1, 1, height, 1);                      // (1,1,H,1)
        var cols = (arange(width, dtype: ScalarType.Float32) + 0.5).view(1, 1, 1, width);                        // (1,1,1,W)
        Tensor PerImage(Tensor t) => t.view(batch, 1, 1, 1);                                                      // (B,1,1,1)
        var inside = (rows >= PerImage(top)) & (rows < PerImage(top + h))
                   & (cols >= PerImage(left)) & (cols < PerImage(left + w)) & PerImage(chosen);                  // (B,1,H,W)
        return where(inside.to(images.device), noise.to(images.device), images).MoveToOuterDisposeScope();
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
