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
        Run(model, set, batchSize, [views ?? TestTimeViews.Plain], measureGates: false, out _)[0];

    /// <summary>
    /// <see cref="Predict"/> for several view sets at the cost of the one set that holds them all: mirrored if any
    /// set is, shifted by the sets' shift (e.g. the face alone, its mirror pair and ten views cost ten views). Every
    /// view is read once and each set averages its own. One result per set, in order; the caller disposes them.
    /// </summary>
    /// <exception cref="ArgumentException">No set; a shift out of range; two sets shift by different non-zero amounts
    /// (their views do not nest).</exception>
    public static Predictions[] PredictEach(MultiTaskModel model, FaceTensorSet set, IReadOnlyList<TestTimeViews> viewSets, int batchSize = 64) =>
        Run(model, set, batchSize, viewSets, measureGates: false, out _);

    /// <summary>
    /// <see cref="PredictEach"/>, also measuring each ConvFLU's mean update gate z over the set (how much each branch
    /// takes from the other) on the faces themselves; <paramref name="meanGates"/> is null for a model without gates.
    /// </summary>
    public static Predictions[] PredictEachWithGates(MultiTaskModel model, FaceTensorSet set, IReadOnlyList<TestTimeViews> viewSets,
        out IReadOnlyList<double>? meanGates, int batchSize = 64) =>
        Run(model, set, batchSize, viewSets, measureGates: true, out meanGates);

    /// <summary>The face alone, with the gates measured (<see cref="PredictEachWithGates"/>).</summary>
    public static Predictions PredictWithGates(MultiTaskModel model, FaceTensorSet set, out IReadOnlyList<double>? meanGates) =>
        Run(model, set, 64, [TestTimeViews.Plain], measureGates: true, out meanGates)[0];

    private static Predictions[] Run(MultiTaskModel model, FaceTensorSet set, int batchSize, IReadOnlyList<TestTimeViews> viewSets, bool measureGates,
        out IReadOnlyList<double>? meanGates)
    {
        if (viewSets.Count == 0) throw new ArgumentException("no view set to read");
        foreach (var views in viewSets) views.Validate(model.Config.ImageSize);
        var all = new TestTimeViews(viewSets.Any(v => v.Mirror), viewSets.Max(v => v.Shift));   // the views of every set (if they nest)
        var positions = viewSets.Select(v => v.PositionsWithin(all)).ToArray();
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var device = model.parameters().First().device;
            using var outer = NewDisposeScope();
            var indices = positions.Select(p => tensor(p, device: device)).ToArray();
            var probabilities = viewSets.Select(_ => new List<Tensor>()).ToArray();
            Tensor? gateSum = null;                                               // (G) sum of batch means × batch size
            var lossSums = viewSets.Select(_ => zeros(1, ScalarType.Float64, device: device)).ToArray();   // summed on the device, read once
            for (long start = 0; start < set.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(batchSize, set.Count - start);
                var images = set.Images.narrow(0, start, length).to(device);     // (b,1,H,W)
                var labels = set.Labels.narrow(0, start, length).to(device);     // (b)
                var output = measureGates ? model.ForwardMeasuringGates(images, null) : model.call(images, null);
                var perView = model.ViewProbabilities(nn.functional.softmax(output.FerLogits, 1), images, all);   // (V,b,classes)
                for (int s = 0; s < viewSets.Count; s++)
                {
                    var p = perView.index_select(0, indices[s]).mean([0]);             // (b,classes)
                    // The loss of what is predicted: −log of the (averaged) probability of the true class.
                    lossSums[s].Accumulate(nn.functional.nll_loss(p.SafeLog(), labels, reduction: nn.Reduction.Sum).to(ScalarType.Float64));
                    probabilities[s].Add(p.cpu().MoveToOuterDisposeScope());
                }
                if (output.GateMeans is { } gates)
                {
                    using var faces = ((double)length).ToScalar();
                    var weighted = gates.to(ScalarType.Float64).mul(faces);       // (G)
                    if (gateSum is null) gateSum = weighted.MoveToOuterDisposeScope();
                    else gateSum.Accumulate(weighted);
                }
            }
            var actual = set.Labels.data<long>().Select(v => (int)v).ToArray();
            using (var count = ((double)set.Count).ToScalar())
                meanGates = gateSum is null ? null : gateSum.div(count).cpu().data<double>().ToArray();
            return [.. viewSets.Select((_, s) =>
            {
                var read = cat(probabilities[s], 0).MoveToOuterDisposeScope();        // (N,classes), the caller's
                var predicted = read.argmax(1).data<long>().Select(v => (int)v).ToArray();
                return new Predictions(read, predicted, actual, set.Count == 0 ? 0 : lossSums[s].item<double>() / set.Count);
            })];
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
