using Fersnet.Evaluation;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Fersnet.Training;

/// <summary>The loss terms of multi-task training, each a scalar tensor.</summary>
public static class Losses
{
    /// <summary>Discriminator: real patches toward "real", fake toward "fake".</summary>
    public static Tensor DiscriminatorAdversarial(AdversarialLoss kind, Tensor realScores, Tensor fakeScores) => kind switch
    {
        AdversarialLoss.Lsgan => (realScores - 1).square().mean() + fakeScores.square().mean(),
        AdversarialLoss.Hinge => relu(1 - realScores).mean() + relu(1 + fakeScores).mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Generator: fake patches toward "real".</summary>
    public static Tensor GeneratorAdversarial(AdversarialLoss kind, Tensor fakeScores) => kind switch
    {
        AdversarialLoss.Lsgan => (fakeScores - 1).square().mean(),
        AdversarialLoss.Hinge => -fakeScores.mean(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Cross-entropy with optional label smoothing and class weights.</summary>
    public static Tensor Classification(Tensor logits, Tensor labels, double labelSmoothing = 0, Tensor? classWeights = null) =>
        cross_entropy(logits, labels, classWeights, label_smoothing: labelSmoothing);

    /// <summary>L1 between <paramref name="image"/> and <paramref name="reference"/> over the samples where <paramref name="mask"/> is 1.</summary>
    public static Tensor MaskedL1(Tensor image, Tensor reference, Tensor mask)
    {
        var perSample = (image - reference).abs().mean([1, 2, 3]);        // (B)
        return MaskedMean(perSample, mask);
    }

    /// <summary>The structural dissimilarity 1 − SSIM of each image and its reference, averaged where the mask is 1
    /// (the paired faces): what L1 hardly sees, local structure such as small dark marks, counts.</summary>
    /// <param name="image">(B,1,H,W) in [-1,1]</param>
    /// <param name="reference">(B,1,H,W) in [-1,1]</param>
    /// <param name="mask">(B) 1 where the image has a reference</param>
    public static Tensor MaskedStructuralDissimilarity(Tensor image, Tensor reference, Tensor mask)
    {
        var perSample = 1 - ImageSimilarity.Ssim(image, reference);       // (B)
        return MaskedMean(perSample, mask);
    }

    /// <summary>(B) per-sample values averaged over the samples where <paramref name="mask"/> is 1 (0 when none is).</summary>
    private static Tensor MaskedMean(Tensor perSample, Tensor mask) => (perSample * mask).sum() / mask.sum().clamp_min(1);

    /// <summary>Attention-mask sparsity (GANimation): the mean of A, so the face is re-drawn only where the expression needs it.</summary>
    /// <param name="mask">(B,1,H,W) in [0,1]</param>
    public static Tensor MaskSparsity(Tensor mask) => mask.mean();

    /// <summary>Attention-mask smoothness: total variation, the mean squared difference of neighbouring mask values
    /// down and across.</summary>
    /// <param name="mask">(B,1,H,W) in [0,1]</param>
    public static Tensor MaskSmoothness(Tensor mask)
    {
        long h = mask.shape[2], w = mask.shape[3];
        var down = mask.narrow(2, 1, h - 1) - mask.narrow(2, 0, h - 1);     // (B,1,H-1,W)
        var across = mask.narrow(3, 1, w - 1) - mask.narrow(3, 0, w - 1);   // (B,1,H,W-1)
        return down.square().mean() + across.square().mean();
    }

    /// <summary>Inverse-frequency class weights, normalised to mean 1.</summary>
    public static Tensor InverseFrequencyWeights(int[] classCounts)
    {
        var weights = classCounts.Select(c => c > 0 ? 1.0 / c : 0).ToArray();
        double mean = weights.Where(w => w > 0).Average();
        return tensor(weights.Select(w => (float)(w / mean)).ToArray());
    }
}
