using Fersnet.Data;
using Fersnet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Evaluation;

/// <summary>Predictions and their loss over a whole set, batched, under no_grad() and eval().</summary>
public sealed record Predictions(Tensor Probabilities, int[] Predicted, int[] Actual, double MeanLoss) : IDisposable
{
    public ClassificationReport Report(LabelSet labels) => ClassificationReport.From(Actual, Predicted, labels);

    public void Dispose() => Probabilities.Dispose();
}

public static class Evaluator
{
    /// <summary>Recognition only (no synthesis target), so the decoder is never run. Batches of 64 measured faster
    /// than 256 here (the activations stay in cache).</summary>
    /// <param name="mirror">Test-time augmentation: average the class probabilities of each face and of its mirror
    /// image (the training augmentation flips faces, so both are faces the model knows). Twice the compute.</param>
    public static Predictions Predict(MultiTaskModel model, FaceTensorSet set, int batchSize = 64, bool mirror = false)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            var probabilities = new List<Tensor>();
            double lossSum = 0;
            for (long start = 0; start < set.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(batchSize, set.Count - start);
                var images = set.Images.narrow(0, start, length);                 // (b,1,H,W)
                var labels = set.Labels.narrow(0, start, length);                 // (b)
                var p = nn.functional.softmax(model.call(images, null).FerLogits, 1); // (b,classes)
                if (mirror)
                    p = (p + nn.functional.softmax(model.call(images.flip(3), null).FerLogits, 1)) / 2;
                // The loss of what is predicted: −log of the (averaged) probability of the true class.
                lossSum += nn.functional.nll_loss(p.clamp_min(1e-12).log(), labels, reduction: nn.Reduction.Sum).item<float>();
                probabilities.Add(p.MoveToOuterDisposeScope());
            }
            var all = cat(probabilities, 0);                                      // (N,classes)
            foreach (var p in probabilities) p.Dispose();
            var predicted = all.argmax(1).data<long>().Select(v => (int)v).ToArray();
            var actual = set.Labels.data<long>().Select(v => (int)v).ToArray();
            return new Predictions(all, predicted, actual, set.Count == 0 ? 0 : lossSum / set.Count);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>
    /// <see cref="Predict"/>, also measuring each ConvFLU's mean update gate z over the set (how much each branch takes
    /// from the other); <paramref name="meanGates"/> is null for a model without gates.
    /// </summary>
    public static Predictions PredictWithGates(MultiTaskModel model, FaceTensorSet set, out IReadOnlyList<double>? meanGates)
    {
        foreach (var gate in model.Gates) { gate.ResetGateStatistics(); gate.TrackGate = true; }
        try
        {
            var predictions = Predict(model, set);
            meanGates = model.Gates.Count == 0 ? null : model.Gates.Select(g => g.MeanGate ?? double.NaN).ToArray();
            return predictions;
        }
        finally
        {
            foreach (var gate in model.Gates) gate.TrackGate = false;
        }
    }
}
