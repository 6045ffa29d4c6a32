using Fersnet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Evaluation;

/// <summary>How alike two images are: a metric of synthesis, differentiable, so training may ask for it too.</summary>
public static class ImageSimilarity
{
    /// <summary>
    /// Structural similarity (Wang et al. 2004) of each pair of images: an 11x11 Gaussian window (σ 1.5) over the valid
    /// area, constants for a dynamic range of 1.
    /// </summary>
    /// <param name="a">(B,1,H,W) in [-1,1]</param>
    /// <param name="b">(B,1,H,W) in [-1,1]</param>
    /// <returns>(B) mean SSIM per pair, 1 for identical images</returns>
    public static Tensor Ssim(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
        var coordinates = arange(11, dtype: ScalarType.Float32, device: a.device) - 5;
        var gauss = (-(coordinates.square()) / (2 * 1.5 * 1.5)).exp();
        gauss = gauss / gauss.sum();
        var window = gauss.view(11, 1).mm(gauss.view(1, 11)).view(1, 1, 11, 11);                       // (1,1,11,11)
        var x = (a + 1) / 2;
        var y = (b + 1) / 2;
        Tensor Blur(Tensor t) => SafeConvolution.Conv2d(t, window);                                      // (B,1,H-10,W-10)
        var (mx, my) = (Blur(x), Blur(y));
        var sxx = Blur(x * x) - mx * mx;
        var syy = Blur(y * y) - my * my;
        var sxy = Blur(x * y) - mx * my;
        var map = (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2));
        return map.mean([1, 2, 3]).MoveToOuterDisposeScope();
    }
}
