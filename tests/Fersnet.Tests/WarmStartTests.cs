using Fersnet.Data;
using Fersnet.Models;
using Fersnet.Training;
using static TorchSharp.torch;

namespace Fersnet.Tests;

public class WarmStartTests : IDisposable
{
    static WarmStartTests() => _ = TestPaths.RepoRoot;

    private readonly string directory = Directory.CreateTempSubdirectory("fersnet-warm").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // As FER2013 and CK+: neutral only in the source, contempt only in the target, so anger moves from the source's
    // row 1 to the target's row 0 (label sets keep expressions in enum order) while happiness stays in row 2.
    private static readonly LabelSet Source = new([Expression.Neutral, Expression.Anger, Expression.Happiness]);
    private static readonly LabelSet Target = new([Expression.Anger, Expression.Contempt, Expression.Happiness]);

    private static ModelConfig Small(ModelKind kind, int classes = 3) => new(kind, 32, 8, false, classes);

    private static TrainConfig Quick(int seed, string? init = null) => new() { Epochs = 1, BatchSize = 16, Seed = seed, Augment = AugmentConfig.None, InitFrom = init };

    private string SourceCheckpoint(ModelKind kind)
    {
        using var source = Trainer.Create(Small(kind), Quick(seed: 7), Source);
        string path = Path.Combine(directory, $"{kind}.ckpt");
        source.SaveCheckpoint(path);
        return path;
    }

    /// <summary>The network saved in <paramref name="path"/>, rebuilt and loaded as it was saved.</summary>
    private static MultiTaskModel SavedWeights(string path, ModelKind kind)
    {
        var (_, sections) = Checkpoint.Load(path);
        var model = ModelFactory.Create(Small(kind));
        ModelState.Into(model, sections["model"], "source");
        return model;
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static Tensor State(nn.Module module, string name) => module.state_dict()[name];

    [Theory]
    [InlineData(ModelKind.Fersnet)]
    [InlineData(ModelKind.Hard)]
    [InlineData(ModelKind.Single)]
    public void Shared_expressions_keep_their_rows_and_new_ones_start_fresh(ModelKind kind)
    {
        string path = SourceCheckpoint(kind);
        using var source = SavedWeights(path, kind);

        using var trainer = Trainer.Create(Small(kind), Quick(seed: 8, init: path), Target);
        using var scratch = Trainer.Create(Small(kind), Quick(seed: 8), Target);

        var report = trainer.WarmStarted!;
        Assert.Equal([Expression.Contempt], report.UntrainedLabels);
        Assert.Equal(kind != ModelKind.Single, report.Discriminator);

        // A tensor without a label dimension is copied whole.
        string stem = source.state_dict().Keys.First();
        Assert.True(Same(State(trainer.Model, stem), State(source, stem)));
        Assert.False(Same(State(scratch.Model, stem), State(source, stem)));

        // Recognition logits: anger (target row 0) comes from source row 1, happiness from row 2; contempt (row 1)
        // keeps the fresh initialisation the same seed gives without a warm start.
        var fc = State(trainer.Model, "fer_head.fc.weight");
        var sourceFc = State(source, "fer_head.fc.weight");
        Assert.True(Same(fc[0], sourceFc[1]));
        Assert.True(Same(fc[2], sourceFc[2]));
        Assert.True(Same(fc[1], State(scratch.Model, "fer_head.fc.weight")[1]));

        if (kind == ModelKind.Fersnet)
        {
            // The decoder's label input is indexed by expression along its second dimension.
            var labelFc = State(trainer.Model, "fes_decoder.label_fc.weight");
            var sourceLabelFc = State(source, "fes_decoder.label_fc.weight");
            Assert.True(Same(labelFc[.., 0], sourceLabelFc[.., 1]));
            Assert.True(Same(labelFc[.., 2], sourceLabelFc[.., 2]));
        }
    }

    [Theory]
    [InlineData(ModelKind.Fersnet)]
    [InlineData(ModelKind.Hard)]
    public void A_skip_decoder_run_takes_everything_but_the_decoder_from_a_bottleneck_checkpoint(ModelKind kind)
    {
        string path = SourceCheckpoint(kind);
        using var source = SavedWeights(path, kind);

        var skip = Small(kind) with { Decoder = SynthesisDecoder.Skip };
        using var trainer = Trainer.Create(skip, Quick(seed: 8, init: path), Source);
        using var scratch = Trainer.Create(skip, Quick(seed: 8), Source);

        var report = trainer.WarmStarted!;
        Assert.True(report.FreshDecoder);
        Assert.True(report.Discriminator);
        var sourceState = source.state_dict();
        foreach (var (name, tensor) in trainer.Model.state_dict())
        {
            if (name.StartsWith("fes_skip_decoder.")) Assert.True(Same(tensor, State(scratch.Model, name)), name);
            else Assert.True(Same(tensor, sourceState[name]), name);
        }
        Assert.Contains(trainer.Model.state_dict().Keys, n => n.StartsWith("fes_skip_decoder."));
    }

    [Fact]
    public void A_warm_start_leaves_the_random_stream_as_a_fresh_run_has_it()
    {
        string path = SourceCheckpoint(ModelKind.Fersnet);
        float afterWarm, afterScratch;
        using (Trainer.Create(Small(ModelKind.Fersnet), Quick(seed: 8, init: path), Target)) afterWarm = rand(1).item<float>();
        using (Trainer.Create(Small(ModelKind.Fersnet), Quick(seed: 8), Target)) afterScratch = rand(1).item<float>();
        Assert.Equal(afterScratch, afterWarm);
    }

    [Fact]
    public void Another_architecture_is_refused_with_the_file_named()
    {
        string path = SourceCheckpoint(ModelKind.Hard);
        var error = Assert.Throws<CheckpointException>(() => Trainer.Create(Small(ModelKind.Fersnet), Quick(seed: 8, init: path), Target));
        Assert.Contains(path, error.Message);
        Assert.Contains("only the classes and the decoder may differ", error.Message);
    }

    [Fact]
    public void A_checkpoint_without_a_shared_expression_is_refused()
    {
        string path = SourceCheckpoint(ModelKind.Single);
        var disjoint = new LabelSet([Expression.Contempt, Expression.Fear, Expression.Sadness]);
        var error = Assert.Throws<CheckpointException>(() => Trainer.Create(Small(ModelKind.Single), Quick(seed: 8, init: path), disjoint));
        Assert.Contains("shares no expression", error.Message);
    }
}
