using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Models;
using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Synthesis;

/// <summary>
/// Synthesis on tensors, for training and research code: faces re-drawn in batches through a model's synthesis (FES)
/// branch under no_grad() and eval(), and the paper's enlarged training set built from them. Images in and out:
/// <see cref="ExpressionSynthesizer"/>.
/// </summary>
public static class SyntheticFaces
{
    /// <summary>Name of the split that marks synthetic faces in <see cref="FaceSample.Split"/>.</summary>
    public const string SyntheticSplit = "synthetic";

    /// <summary>The training's pre-processing: 8-bit gray, resized to <paramref name="size"/>, scaled to [-1,1].</summary>
    /// <returns>(N,1,size,size)</returns>
    public static Tensor Preprocess(IReadOnlyList<Mat> faces, int size)
    {
        var values = new float[faces.Count * size * size];
        for (int i = 0; i < faces.Count; i++)
        {
            using var face = new PhotoViews(faces[i]);
            using var resized = FaceImage.ResizeSquare(face.Gray, size);
            FaceImage.ToUnitRange(resized, values.AsSpan(i * size * size, size * size));
        }
        return tensor(values, [faces.Count, 1, size, size]);
    }

    /// <summary>Each face re-drawn with its target expression.</summary>
    /// <param name="images">(N,1,H,W) in [-1,1]</param>
    /// <param name="targets">(N) class indices of the expressions to draw</param>
    /// <returns>(N,1,H,W) in [-1,1]</returns>
    public static Tensor Redraw(MultiTaskModel model, Tensor images, Tensor targets, int batchSize = 128)
    {
        if (!model.Config.HasSynthesis) throw new ArgumentException($"a {model.Config.Kind} model has no synthesis branch");
        if (images.shape[0] != targets.shape[0]) throw new ArgumentException($"{images.shape[0]} images but {targets.shape[0]} targets");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive");
        if (images.shape[0] == 0) return images.clone();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var device = model.parameters().First().device;
            var drawn = new List<Tensor>();
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(batchSize, images.shape[0] - start);
                var xReal = images.narrow(0, start, length).to(device);                                        // (b,1,H,W)
                var targetOneHot = nn.functional.one_hot(targets.narrow(0, start, length).to(device), model.Config.Classes)
                    .to(ScalarType.Float32);                                                                   // (b,classes)
                drawn.Add(model.call(xReal, targetOneHot).Synthesized!.cpu().MoveToOuterDisposeScope());       // (b,1,H,W)
            }
            var all = cat(drawn, 0);
            foreach (var t in drawn) t.Dispose();
            return all;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// The paper's enlarged and balanced training set: the real faces, then every face re-drawn with each expression
    /// it does not show. Every class then holds exactly as many faces as there are real ones (its real faces plus
    /// one re-drawn face of each other face), so the rare classes are filled up to the common ones.
    /// </summary>
    /// <remarks>A synthetic face keeps its source's subject and sequence (so subject-grouped logic still sees whose
    /// face it is); its <see cref="FaceSample.Split"/> is <see cref="SyntheticSplit"/> and its source names the
    /// original file and the drawn expression.</remarks>
    public static FaceTensorSet Enlarge(MultiTaskModel model, FaceTensorSet real)
    {
        var labels = real.LabelSet;
        if (model.Config.Classes != labels.Count)
            throw new ArgumentException($"the model draws {model.Config.Classes} expressions, the set has {labels.Count}");
        var sourceLabels = real.Labels.data<long>().ToArray();
        // One (source face, target expression) pair for every expression a face does not show, target by target.
        var pairs = Enumerable.Range(0, labels.Count)
            .SelectMany(target => Enumerable.Range(0, real.Count).Where(i => sourceLabels[i] != target).Select(i => (Source: i, Target: target)))
            .ToArray();

        using var sourceIndex = tensor(pairs.Select(p => (long)p.Source).ToArray(), ScalarType.Int64);
        using var targets = tensor(pairs.Select(p => (long)p.Target).ToArray(), ScalarType.Int64);
        using var sources = real.Images.index_select(0, sourceIndex);                                         // (M,1,H,W)
        using var drawn = Redraw(model, sources, targets);                                                    // (M,1,H,W)

        var synthetic = pairs.Select(p =>
        {
            var source = real.Samples[p.Source];
            var expression = labels.Classes[p.Target];
            return source with { Source = $"{source.Source} as {expression.Name()}", Label = expression, Split = SyntheticSplit, Pixels = null, PixelWidth = 0 };
        });
        return new FaceTensorSet(cat([real.Images, drawn], 0), cat([real.Labels, targets], 0),
            [.. real.Samples, .. synthetic], labels, []);
    }
}
