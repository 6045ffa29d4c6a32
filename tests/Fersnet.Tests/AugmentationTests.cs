using System.Text.Json;
using Fersnet.Data;
using Fersnet.Serialization;
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

    private static readonly AugmentConfig EraseOnly = new(MaxShift: 0, FlipProbability: 0, MaxRotationDegrees: 0, MaxScale: 0, Brightness: 0, Contrast: 0,
        Erasing: new RandomErasing(Probability: 1));

    [Fact]
    public void Random_erasing_replaces_one_rectangle_of_each_chosen_face_by_noise()
    {
        const int side = 32;
        using var images = full(16, 1, side, side, 0.5f);
        using var erased = new Augmenter(EraseOnly, new Generator(3)).Erase(images);
        Assert.True(erased.min().item<float>() >= -1f && erased.max().item<float>() <= 1f);
        for (int i = 0; i < 16; i++)
        {
            using var changed = erased[i, 0].ne(images[i, 0]);                       // (H,W)
            using var rows = changed.any(1).nonzero();
            using var cols = changed.any(0).nonzero();
            long height = rows.shape[0], width = cols.shape[0];
            long count = changed.sum().item<long>();
            // One axis-aligned rectangle: every pixel inside the changed rows and columns changed, none outside.
            Assert.Equal(height * width, count);
            Assert.Equal(height - 1, rows[-1, 0].item<long>() - rows[0, 0].item<long>());
            Assert.Equal(width - 1, cols[-1, 0].item<long>() - cols[0, 0].item<long>());
            // 2-25% of the face, give or take the rounding of its sides to whole pixels.
            Assert.InRange(count, 1, (long)(0.25 * side * side + 2 * side + 1));
        }
        // Seeded: the same generator erases the same rectangles.
        using var again = new Augmenter(EraseOnly, new Generator(3)).Erase(images);
        Assert.True(again.eq(erased).all().item<bool>());
    }

    [Fact]
    public void Random_erasing_with_probability_zero_changes_nothing_and_is_a_step_of_its_own()
    {
        using var images = rand(6, 1, 16, 16) * 2 - 1;
        var never = EraseOnly with { Erasing = new RandomErasing(Probability: 0) };
        using var kept = new Augmenter(never, new Generator(1)).Erase(images);
        Assert.True(kept.allclose(images, atol: 1e-5));
        // The affine step never erases: erasing is a step of its own, for what the networks read.
        using var moved = new Augmenter(EraseOnly, new Generator(1)).Apply(images);
        Assert.True(moved.allclose(images, atol: 1e-5));
        Assert.Same(images, new Augmenter(AugmentConfig.None with { Erasing = new RandomErasing(1) }, new Generator(1)).Erase(images));
    }

    [Fact]
    public void Random_erasing_reaches_the_first_and_the_last_row_alike()
    {
        const int side = 16, faces = 4000;
        using var images = zeros(faces, 1, side, side);
        using var erased = new Augmenter(EraseOnly, new Generator(9)).Erase(images);
        using var changed = erased.ne(images).any(3).to(ScalarType.Float32).mean([0, 1]);           // (H) share of faces with row h erased
        float first = changed[0].item<float>(), last = changed[side - 1].item<float>(), middle = changed[side / 2].item<float>();
        Assert.InRange(first, 0.03f, 1f);
        Assert.InRange(first / last, 0.7f, 1.4f);
        Assert.True(middle > first, $"the middle row ({middle}) should be erased more often than an edge ({first})");
    }

    [Fact]
    public void A_config_without_erasing_is_saved_as_before_and_one_with_it_round_trips()
    {
        string plain = JsonSerializer.Serialize(new AugmentConfig(), FersnetJson.Options);
        Assert.DoesNotContain("erasing", plain);
        var withErasing = new AugmentConfig { Erasing = new RandomErasing(0.3) };
        var read = JsonSerializer.Deserialize<AugmentConfig>(JsonSerializer.Serialize(withErasing, FersnetJson.Options), FersnetJson.Options);
        Assert.Equal(withErasing, read);
        Assert.Throws<ArgumentException>(() => new RandomErasing(1.5).Validate());
        Assert.Throws<ArgumentException>(() => new RandomErasing(0.5, MinArea: 0.3, MaxArea: 0.2).Validate());
    }
}
