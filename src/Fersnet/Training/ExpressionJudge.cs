using Fersnet.Data;
using Fersnet.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn.functional;

namespace Fersnet.Training;

/// <summary>
/// A separately trained expression classifier, frozen, that judges generated faces during training: the generator is
/// asked to draw faces that this classifier reads as the target (<see cref="LossWeights.Judge"/>). Unlike the network's
/// own recognition branch (trained on the same faces as the generator), a judge trained on another, larger dataset
/// rewards what faces in general show for an expression, not the marks of one dataset. The judge stays in eval mode with
/// frozen weights: the gradient reaches the generator through the faces only. Targets the judge has no class for (e.g.
/// contempt for a FER2013 judge) are left out of the term; faces are resized to the judge's input side, and may be
/// seen through a Gaussian blur, so that pixel-scale marks which fool this one classifier do not pay.
/// </summary>
public sealed class ExpressionJudge : IDisposable
{
    private readonly MultiTaskModel judge;
    private readonly Tensor judgeClass;   // (classes) the judge's index of each of the trainer's classes; -1: unknown to it
    private readonly long side;
    private readonly Tensor? blur;        // (1,1,k,k) Gaussian kernel; null: no blur

    /// <summary>The trainer's classes the judge knows.</summary>
    public IReadOnlyList<Expression> Known { get; }

    private ExpressionJudge(MultiTaskModel judge, Tensor judgeClass, IReadOnlyList<Expression> known, Tensor? blur)
    {
        (this.judge, this.judgeClass, Known, this.blur) = (judge, judgeClass, known, blur);
        side = judge.Config.ImageSize;
    }

    /// <summary>Loads the judge from a checkpoint for a trainer whose classes are <paramref name="labels"/>.</summary>
    /// <exception cref="CheckpointException">The checkpoint cannot be used, or its classes share none with <paramref name="labels"/>.</exception>
    /// <param name="blurSigma">standard deviation in pixels of the blur the judge sees faces through; 0: none</param>
    public static ExpressionJudge Load(string path, LabelSet labels, Device device, double blurSigma = 0)
    {
        var (model, header) = Checkpoint.LoadModel(path);
        var judgeLabels = new LabelSet(header.Labels);
        int[] index = labels.IndicesIn(judgeLabels);
        var known = labels.Classes.Where((_, i) => index[i] >= 0).ToArray();
        if (known.Length == 0)
        {
            model.Dispose();
            throw new CheckpointException(path, $"judges {string.Join(", ", judgeLabels.Names)}: none of the classes trained ({string.Join(", ", labels.Names)})");
        }
        model.to(device).eval();
        foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        return new ExpressionJudge(model, tensor(index.Select(i => (long)i).ToArray(), ScalarType.Int64, device), known, blurSigma > 0 ? GaussianKernel(blurSigma).to(device) : null);
    }

    /// <summary>(1,1,k,k) a normalised Gaussian kernel of <paramref name="sigma"/> pixels, k = 2·⌈2σ⌉ + 1.</summary>
    public static Tensor GaussianKernel(double sigma)
    {
        int radius = (int)Math.Ceiling(2 * sigma);
        var weights = Enumerable.Range(-radius, 2 * radius + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double sum = weights.Sum();
        using var row = tensor(weights.Select(w => (float)(w / sum)).ToArray());          // (k), sums to 1
        return row.outer(row).view(1, 1, 2 * radius + 1, 2 * radius + 1);              // (1,1,k,k)
    }

    /// <summary>(B,1,H,W) the faces blurred, their borders repeated outward.</summary>
    private Tensor Blurred(Tensor faces)
    {
        if (blur is null) return faces;
        long radius = blur.shape[^1] / 2;
        return SafeConvolution.Conv2d(pad(faces, [radius, radius, radius, radius], PaddingModes.Replicate), blur);
    }

    /// <summary>Mean cross-entropy of the judge's reading of <paramref name="faces"/> against <paramref name="targets"/>,
    /// over the faces whose target the judge knows (0 when there are none).</summary>
    /// <param name="faces">(B,1,H,W) generated faces in [-1,1]</param>
    /// <param name="targets">(B) target classes, indices into the trainer's label set</param>
    public Tensor Loss(Tensor faces, Tensor targets)
    {
        var x = Blurred(faces);                                                         // (B,1,H,W)
        if (x.shape[^1] != side) x = interpolate(x, [side, side], mode: InterpolationMode.Bilinear, align_corners: false);
        var logits = judge.call(x, null).FerLogits;                                    // (B,judge classes)
        var target = judgeClass.index_select(0, targets);                               // (B) -1: unknown to the judge
        var known = target.ge(0).to(ScalarType.Float32);                                // (B)
        var perFace = cross_entropy(logits, target.clamp_min(0), reduction: nn.Reduction.None);   // (B)
        return (perFace * known).sum() / known.sum().clamp_min(1);
    }

    public void Dispose()
    {
        judge.Dispose();
        judgeClass.Dispose();
    }
}
