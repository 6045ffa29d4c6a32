using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Training;

/// <summary>What a warm start took from its checkpoint.</summary>
/// <param name="Path">The checkpoint.</param>
/// <param name="Tensors">Weights and buffers copied (whole or expression by expression).</param>
/// <param name="Discriminator">Whether the discriminator was warm-started too (the checkpoint held one).</param>
/// <param name="UntrainedLabels">Expressions of this run the checkpoint never learned: their rows keep a fresh initialisation.</param>
/// <param name="FreshDecoder">The checkpoint has another synthesis decoder: this run's decoder keeps a fresh initialisation.</param>
public sealed record WarmStartReport(string Path, int Tensors, bool Discriminator, IReadOnlyList<Expression> UntrainedLabels, bool FreshDecoder = false);

/// <summary>
/// Starts a run from another run's weights: transfer learning, e.g. pretrain on FER2013 and fine-tune on CK+.
/// The architecture must be the same except for the label set and the synthesis decoder (a skip-decoder generator can
/// start from a bottleneck-decoder pretraining: the branches, gates, heads and discriminator are copied, the new decoder
/// starts fresh). Tensors indexed by expression (the recognition
/// logits, the decoder's label input, the discriminator's class head) are copied expression by expression, so an
/// expression both sets share keeps what it learned wherever it sits, and one the source never saw (CK+'s contempt
/// after FER2013) starts fresh. Optimiser states, epoch and history are not taken: the run starts at epoch 1.
/// </summary>
public static class WarmStart
{
    /// <exception cref="CheckpointException">The file is missing, damaged, or holds another architecture.</exception>
    public static WarmStartReport Apply(string path, MultiTaskModel model, PatchDiscriminator? discriminator, LabelSet labels)
    {
        var (header, sections) = Checkpoint.Load(path);
        if (header.Model with { Classes = model.Config.Classes, Decoder = model.Config.Decoder } != model.Config)
            throw new CheckpointException(path, $"holds a {header.Model}; this run builds a {model.Config} (only the classes and the decoder may differ)");
        bool freshDecoder = model.Config.HasSynthesis && header.Model.Decoder != model.Config.Decoder;
        var sourceLabels = new LabelSet(header.Labels);
        // For each of this run's classes, its row in the source (-1: the source never learned it).
        int[] sourceRow = labels.IndicesIn(sourceLabels);
        if (sourceRow.All(r => r < 0))
            throw new CheckpointException(path, $"shares no expression with this run ({string.Join(", ", sourceLabels.Names)} vs {string.Join(", ", labels.Names)})");
        if (!sections.TryGetValue("model", out var modelState)) throw new CheckpointException(path, "has no model weights");

        // Building the source modules draws initial weights from the global generator; put it back afterwards so a
        // warm-started run shuffles and augments exactly as the same run started from scratch would.
        using var _ = new GlobalRandomState();
        try
        {
            int copied;
            using (var source = ModelFactory.Create(header.Model))
            {
                ModelState.Into(source, modelState, "model weights");
                // Another decoder kind has other tensor names: this run's decoder is what the source lacks.
                copied = Copy(source, model, LabelDimensions(model, model.Config, ModelFactory.Create), sourceRow, freshWhereMissing: freshDecoder);
            }
            bool warmDiscriminator = discriminator is not null && sections.ContainsKey("discriminator");
            if (warmDiscriminator)
            {
                using var source = new PatchDiscriminator(header.Model);
                ModelState.Into(source, sections["discriminator"], "discriminator weights");
                copied += Copy(source, discriminator!, LabelDimensions(discriminator!, model.Config, c => new PatchDiscriminator(c)), sourceRow, freshWhereMissing: false);
            }
            return new WarmStartReport(path, copied, warmDiscriminator, labels.Classes.Where((_, i) => sourceRow[i] < 0).ToArray(), freshDecoder);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, e.Message, e);
        }
    }

    /// <summary>
    /// Which tensors of <paramref name="module"/> (built by <paramref name="build"/> from <paramref name="config"/>)
    /// are indexed by expression, and along which dimension: found by building it for one more class and seeing
    /// which shapes change, so a new label-dependent layer can never be copied by position.
    /// </summary>
    private static Dictionary<string, int> LabelDimensions(nn.Module module, ModelConfig config, Func<ModelConfig, nn.Module> build)
    {
        using var wider = build(config with { Classes = config.Classes + 1 });
        var widerState = wider.state_dict();
        var dimensions = new Dictionary<string, int>();
        foreach (var (name, tensor) in module.state_dict())
        {
            var other = widerState[name].shape;
            for (int d = 0; d < tensor.shape.Length; d++)
            {
                if (tensor.shape[d] != other[d]) dimensions[name] = d;
            }
        }
        return dimensions;
    }

    /// <param name="freshWhereMissing">Leave a tensor the source lacks as initialised (else: an error).</param>
    private static int Copy(nn.Module source, nn.Module target, Dictionary<string, int> labelDimensions, int[] sourceRow, bool freshWhereMissing)
    {
        var sourceState = source.state_dict();
        int copied = 0;
        using var noGrad = no_grad();
        foreach (var (name, tensor) in target.state_dict())
        {
            if (!sourceState.TryGetValue(name, out var from))
            {
                if (freshWhereMissing) continue;
                throw new InvalidDataException($"the checkpoint lacks '{name}'");
            }
            if (labelDimensions.TryGetValue(name, out int dim))
            {
                for (int row = 0; row < sourceRow.Length; row++)
                {
                    if (sourceRow[row] < 0) continue;
                    using var into = tensor.select(dim, row);
                    using var value = from.select(dim, sourceRow[row]);
                    into.copy_(value);
                }
            }
            else
            {
                tensor.copy_(from);
            }
            copied++;
        }
        return copied;
    }
}
