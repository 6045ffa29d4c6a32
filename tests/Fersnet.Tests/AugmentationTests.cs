using Fersnet.Data;
using static TorchSharp.torch;

namespace Fersnet.Tests;

public class AugmentationTests
{
    [Fact]
    public void Augmentation_keeps_shape_and_range_and_is_seeded()
    {
        using var images = rand(8, 1, 48, 48) * 2 - 1;
        using var a = new Augmenter(new AugmentConfig(), new Generator(5)).Apply(images);
        using var b = new Augmenter(new AugmentConfig(), new Generator(5)).Apply(images);
        using var c = new Augmenter(new AugmentConfig(), new Generator(6)).Apply(images);
        Assert.Equal(images.shape, a.shape);
        Assert.True(a.min().item<float>() >= -1f && a.max().item<float>() <= 1f);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
        Assert.False(a.eq(images).all().item<bool>());
    }

    [Fact]
    public void Flip_only_mirrors_the_image()
    {
        using var images = rand(4, 1, 16, 16) * 2 - 1;
        var flipOnly = new AugmentConfig(MaxShift: 0, FlipProbability: 1, MaxRotationDegrees: 0, MaxScale: 0, Brightness: 0, Contrast: 0);
        using var flipped = new Augmenter(flipOnly, new Generator(1)).Apply(images);
        Assert.True(flipped.allclose(images.flip(3), atol: 1e-5));
    }

    [Fact]
    public void Disabled_augmentation_returns_the_input()
    {
        using var images = rand(2, 1, 16, 16);
        Assert.Same(images, new Augmenter(AugmentConfig.None, new Generator(1)).Apply(images));
    }
}
