using Fersnet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Training;

/// <summary>
/// An exponential moving average of a model's weights (Polyak averaging, as timm's ModelEma and torch's
/// AveragedModel keep it), updated after every optimiser step. On a few hundred faces the weights of one step carry
/// that step's batch and augmentation; their average over the last few epochs is a smoother model that validation
/// picks with less luck. Batch-norm statistics are averaged alike, so the averaged copy is ready to evaluate.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    /// <summary>The averaged copy (eval mode, no gradients); what validation, selection and tests use.</summary>
    public MultiTaskModel Model { get; }

    /// <summary>Per-step decay once warmed up: the average forgets 1 − <see cref="Decay"/> of itself per step.</summary>
    public double Decay { get; }

    /// <summary>Updates so far; early ones use a smaller decay so that the starting weights fade quickly.</summary>
    public long Updates { get; private set; }

    private readonly (Tensor Average, Tensor Live)[] floating;
    private readonly (Tensor Average, Tensor Live)[] counters;

    public WeightAverage(MultiTaskModel live, double decay)
    {
        if (decay is <= 0 or >= 1) throw new ArgumentException($"weight-average decay must be in (0, 1), not {decay}");
        Decay = decay;
        Model = ModelFactory.Create(live.Config);
        Model.eval();
        foreach (var parameter in Model.parameters()) parameter.requires_grad = false;
        var pairs = Pair(Model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), live.named_parameters().Select(p => (p.name, (Tensor)p.parameter)))
            .Concat(Pair(Model.named_buffers(), live.named_buffers())).ToArray();
        floating = pairs.Where(p => p.Average.is_floating_point()).ToArray();
        // Batch counters of batch norm are integers: copied, not averaged.
        counters = pairs.Where(p => !p.Average.is_floating_point()).ToArray();
        CopyFromLive();
    }

    /// <summary>The decay of the next update: (1 + n) / (10 + n) until that exceeds <see cref="Decay"/> (timm's warm-up).</summary>
    public double CurrentDecay => Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));

    /// <summary>average ← d · average + (1 − d) · live, for every weight and batch-norm statistic.</summary>
    public void Update()
    {
        using var _ = no_grad();
        double d = CurrentDecay;
        foreach (var (average, live) in floating) average.mul_(d).add_(live, alpha: 1 - d);
        foreach (var (average, live) in counters) average.copy_(live);
        Updates++;
    }

    /// <summary>Restores a saved average (<see cref="ModelState.Of(nn.Module)"/> of <see cref="Model"/>) and its update count.</summary>
    public void Load(byte[] state, long updates)
    {
        ModelState.Into(Model, state, "averaged weights");
        Updates = updates;
    }

    /// <summary>Starts the average again from the live weights (after a warm start replaced them).</summary>
    public void CopyFromLive()
    {
        using var _ = no_grad();
        foreach (var (average, live) in floating.Concat(counters)) average.copy_(live);
    }

    private static IEnumerable<(Tensor Average, Tensor Live)> Pair(
        IEnumerable<(string name, Tensor tensor)> averaged, IEnumerable<(string name, Tensor tensor)> live)
    {
        var liveByName = live.ToDictionary(p => p.name, p => p.tensor);
        foreach (var (name, tensor) in averaged)
            yield return (tensor, liveByName.TryGetValue(name, out var other)
                ? other : throw new InvalidOperationException($"the live model has no tensor '{name}'"));
    }

    public void Dispose() => Model.Dispose();
}
