using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Evaluation;

/// <summary>Predictions and their loss over a whole set, batched, under no_grad() and eval().</summary>
public sealed record Predictions(Tensor Probabilities, int[] Predicted, int[] Actual, double MeanLoss) : IDisposable
{
    public ClassificationReport Report(LabelSet labels) => ClassificationReport.From(Actual, Predicted, labels);

    /// <summary>
    /// An ensemble's predictions: the mean of its members' class probabilities, face by face (members scored on the
    /// same faces in the same order, with the same classes), its argmax, and the loss of that mean.
    /// </summary>
    public static Predictions Mean(IReadOnlyList<Predictions> members)
    {
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one member");
        var first = members[0];
        if (members.Any(m => !m.Actual.AsSpan().SequenceEqual(first.Actual) || !m.Probabilities.shape.SequenceEqual(first.Probabilities.shape)))
            throw new ArgumentException("ensemble members must be scored on the same faces with the same classes");
        using var scope = NewDisposeScope();
        var mean = stack(members.Select(m => m.Probabilities).ToArray(), 0).mean([0]);           // (N,classes)
        using var actual = tensor(first.Actual.Select(a => (long)a).ToArray());
        double loss = first.Actual.Length == 0 ? 0 : nn.functional.nll_loss(mean.SafeLog(), actual).item<float>();
        var predicted = mean.argmax(1).data<long>().Select(v => (int)v).ToArray();
        return new Predictions(mean.MoveToOuterDisposeScope(), predicted, first.Actual, loss);
    }

    public void Dispose() => Probabilities.Dispose();
}

public static class Evaluator
{
    /// <summary>Recognition only (no synthesis target), so the decoder is never run. Batches of 64 measured faster
    /// than 256 here (the activations stay in cache).</summary>
    /// <param name="views">Test-time augmentation: the views of each face whose class probabilities are averaged
    /// (<see cref="TestTimeViews"/>; null: the face alone). The compute grows with their count.</param>
    public static Predictions Predict(MultiTaskModel model, FaceTensorSet set, int batchSize = 64, TestTimeViews? views = null) =>
        Run(model, set, batchSize, views ?? TestTimeViews.Plain, measureGates: false, out _);

    /// <summary>
    /// <see cref="Predict"/>, also measuring each ConvFLU's mean update gate z over the set (how much each branch takes
    /// from the other); <paramref name="meanGates"/> is null for a model without gates.
    /// </summary>
    public static Predictions PredictWithGates(MultiTaskModel model, FaceTensorSet set, out IReadOnlyList<double>? meanGates) =>
        Run(model, set, 64, TestTimeViews.Plain, measureGates: true, out meanGates);

    private static Predictions Run(MultiTaskModel model, FaceTensorSet set, int batchSize, TestTimeViews views, bool measureGates,
        out IReadOnlyList<double>? meanGates)
    {
        views.Validate(model.Config.ImageSize);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var device = model.parameters().First().device;
            var probabilities = new List<Tensor>();
            Tensor? gateSum = null;                                               // (G) sum of batch means × batch size
            var lossSum = zeros(1, ScalarType.Float64, device: device);          // summed on the device, read once
            for (long start = 0; start < set.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(batchSize, set.Count - start);
                var images = set.Images.narrow(0, start, length).to(device);     // (b,1,H,W)
                var labels = set.Labels.narrow(0, start, length).to(device);     // (b)
                var output = measureGates ? model.ForwardMeasuringGates(images, null) : model.call(images, null);
                var p = nn.functional.softmax(output.FerLogits, 1);                // (b,classes)
                p = model.ViewAveraged(p, images, views);                           // (b,classes)
                // The loss of what is predicted: −log of the (averaged) probability of the true class.
                lossSum.Accumulate(nn.functional.nll_loss(p.SafeLog(), labels, reduction: nn.Reduction.Sum).to(ScalarType.Float64));
                if (output.GateMeans is { } gates)
                {
                    using var faces = ((double)length).ToScalar();
                    var weighted = gates.to(ScalarType.Float64).mul(faces);       // (G)
                    if (gateSum is null) gateSum = weighted.MoveToOuterDisposeScope();
                    else gateSum.Accumulate(weighted);
                }
                probabilities.Add(p.cpu().MoveToOuterDisposeScope());
            }
            var all = cat(probabilities, 0);                                      // (N,classes)
            foreach (var p in probabilities) p.Dispose();
            var predicted = all.argmax(1).data<long>().Select(v => (int)v).ToArray();
            var actual = set.Labels.data<long>().Select(v => (int)v).ToArray();
            using (var count = ((double)set.Count).ToScalar())
                meanGates = gateSum is null ? null : gateSum.div(count).cpu().data<double>().ToArray();
            gateSum?.Dispose();
            double loss = lossSum.item<double>();
            lossSum.Dispose();
            return new Predictions(all, predicted, actual, set.Count == 0 ? 0 : loss / set.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
