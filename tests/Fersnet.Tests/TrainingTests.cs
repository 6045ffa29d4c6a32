using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Inference;
using Fersnet.Models;
using Fersnet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Tests;

public class TrainingTests
{
    static TrainingTests() => _ = TestPaths.RepoRoot;

    private static readonly LabelSet ThreeClasses = new([Expression.Anger, Expression.Happiness, Expression.Surprise]);

    /// <summary>Small but real: 32x32 faces, widths 8..64 (which also exercises the channel-padding workaround).</summary>
    private static ModelConfig Small(ModelKind kind) => new(kind, 32, 8, false, 3);

    /// <summary>A random dataset whose classes differ in brightness pattern, so recognition is learnable.</summary>
    private static FaceTensorSet RandomSet(int count, int seed)
    {
        using var _ = NewDisposeScope();
        var generator = new Generator((ulong)seed);
        var labels = randint(0, 3, [count], generator: generator, dtype: ScalarType.Int64);
        var images = (rand([count, 1, 32, 32], generator: generator) * 0.6 - 0.3);
        // class c brightens the c-th horizontal third of the face
        for (int c = 0; c < 3; c++)
        {
            var mask = labels.eq(c).to(ScalarType.Float32).view(count, 1, 1, 1);
            images[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(c * 10, c * 10 + 10), TensorIndex.Colon] += 0.6 * mask;
        }
        var samples = Enumerable.Range(0, count).Select(i => new FaceSample($"random{i}", ThreeClasses.Classes[(int)labels[i].item<long>()])).ToArray();
        return new FaceTensorSet(images.clamp(-1, 1).MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), samples, ThreeClasses, []);
    }

    private static TrainConfig Quick(int epochs = 1) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        LearningRate = 2e-3,
        Seed = 3,
        Augment = AugmentConfig.None,
    };

    [Theory]
    [InlineData(ModelKind.Fersnet)]
    [InlineData(ModelKind.Hard)]
    [InlineData(ModelKind.Single)]
    public void A_full_multitask_step_has_finite_gradients_everywhere(ModelKind kind)
    {
        using var set = RandomSet(16, 1);
        using var trainer = Trainer.Create(new ModelConfig(kind, 48, 16, false, 3), Quick(), ThreeClasses);
        using var scope = NewDisposeScope();
        var images = nn.functional.interpolate(set.Images, [48, 48], mode: InterpolationMode.Bilinear);
        var step = trainer.TrainStep(images, set.Labels, synthesis: kind != ModelKind.Single);

        Assert.Contains("fer", step.Terms.Keys);
        if (kind != ModelKind.Single)
            Assert.Equal(["cycle", "d_adv", "d_cls", "fer", "g_adv", "g_cls", "identity"], step.Terms.Keys.Order());
        foreach (var module in new nn.Module?[] { trainer.Model, trainer.Discriminator })
            foreach (var (name, parameter) in module?.named_parameters() ?? [])
            {
                Assert.True(parameter.grad is not null, $"{name} has no gradient");
                Assert.True(parameter.grad!.isfinite().all().item<bool>(), $"{name} has a non-finite gradient");
            }
    }

    [Fact]
    public void Generated_faces_do_not_move_the_batch_norm_statistics()
    {
        // From identical trainers, a synthesis step and a recognition-only step see the same real batch first;
        // only the cycle pass sees generated faces. Outside the decoder, the statistics must end up identical.
        using var set = RandomSet(16, 11);
        using var withSynthesis = Trainer.Create(Small(ModelKind.Fersnet), Quick(), ThreeClasses);
        using var recognitionOnly = Trainer.Create(Small(ModelKind.Fersnet), Quick(), ThreeClasses);
        withSynthesis.TrainStep(set.Images, set.Labels, synthesis: true);
        recognitionOnly.TrainStep(set.Images, set.Labels, synthesis: false);
        var expected = recognitionOnly.Model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        var compared = 0;
        foreach (var (name, buffer) in withSynthesis.Model.named_buffers().Where(b => !b.name.StartsWith("fes_decoder")))
        {
            Assert.True(buffer.eq(expected[name]).all().item<bool>(), $"{name} differs");
            compared++;
        }
        Assert.True(compared > 20);
    }

    [Fact]
    public void A_non_finite_loss_stops_training_with_its_name()
    {
        using var set = RandomSet(16, 1);
        using var trainer = Trainer.Create(Small(ModelKind.Single), Quick(), ThreeClasses);
        using (no_grad())
            trainer.Model.named_parameters().First(p => p.name.StartsWith("fer_head.fc.weight")).parameter.fill_(float.NaN);
        var e = Assert.Throws<NonFiniteException>(() => trainer.TrainStep(set.Images, set.Labels, synthesis: false, epoch: 2, batch: 4));
        Assert.Equal("epoch 3, batch 5: loss term 'fer' is NaN", e.Message);
    }

    [Fact]
    public void One_small_batch_is_overfitted()
    {
        using var set = RandomSet(16, 2);
        var config = Quick() with { LearningRate = 3e-3, LabelSmoothing = 0, WeightDecay = 0 };
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), config, ThreeClasses);
        double first = trainer.TrainStep(set.Images, set.Labels, synthesis: false).Terms["fer"];
        double last = first;
        for (int i = 0; i < 40; i++) last = trainer.TrainStep(set.Images, set.Labels, synthesis: false).Terms["fer"];
        Assert.True(last < first * 0.1, $"loss went from {first:F3} to {last:F3}");
    }

    [Fact]
    public void Multitask_training_learns_recognition_and_synthesis_terms_stay_finite()
    {
        // Enough batches for batch norm's running statistics (momentum 0.1) to catch up with the features.
        using var train = RandomSet(192, 3);
        using var validation = RandomSet(48, 4);
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), Quick(epochs: 5), ThreeClasses);
        trainer.Fit(train, validation);
        Assert.Equal(5, trainer.History.Count);
        var last = trainer.History[^1];
        Assert.True(last.ValidationAccuracy > 0.9, $"validation accuracy {last.ValidationAccuracy}");
        Assert.Equal(8, last.MeanGates!.Count);
        Assert.All(last.MeanGates, z => Assert.InRange(z, 0, 1));
        Assert.All(last.Terms.Values, v => Assert.True(double.IsFinite(v)));
        Assert.True(trainer.History[^1].TrainLoss < trainer.History[0].TrainLoss);
        // Selection only looks at the second half of the run (epochs 3..5 of 5).
        Assert.InRange(trainer.BestEpoch, 3, 5);
        Assert.Equal(trainer.History.Where(m => m.Epoch >= 3).Max(m => m.ValidationAccuracy), trainer.BestMetric);
    }

    [Fact]
    public void Same_seed_same_data_gives_the_same_accuracy()
    {
        using var oneThread = new TorchThreads(1);
        using var train = RandomSet(64, 5);
        using var validation = RandomSet(32, 6);
        double Run()
        {
            using var trainer = Trainer.Create(Small(ModelKind.Hard), Quick(epochs: 2) with { Augment = new AugmentConfig() }, ThreeClasses);
            trainer.Fit(train, validation);
            return trainer.History[^1].ValidationLoss!.Value;
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Checkpoint_round_trip_gives_identical_outputs()
    {
        using var dir = new TempDir();
        using var train = RandomSet(32, 7);
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), Quick(), ThreeClasses, new DataConfig("/nowhere"));
        trainer.Fit(train, null);
        string path = dir.Combine("model.ckpt");
        trainer.SaveCheckpoint(path);

        using var loaded = TrainedModel.Load(path);
        Assert.Equal(trainer.Model.Config, loaded.Model.Config);
        Assert.Equal(ThreeClasses, loaded.Labels);
        trainer.Model.eval();
        using var _ = no_grad();
        var target = nn.functional.one_hot(train.Labels, 3).to(ScalarType.Float32);
        var expected = trainer.Model.call(train.Images, target);
        var actual = loaded.Model.call(train.Images, target);
        Assert.True(expected.FerLogits.eq(actual.FerLogits).all().item<bool>());
        Assert.True(expected.Synthesized!.eq(actual.Synthesized!).all().item<bool>());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.9)]
    public void A_resumed_run_continues_from_the_saved_epoch_exactly(double weightAverageDecay)
    {
        using var oneThread = new TorchThreads(1);
        using var dir = new TempDir();
        using var train = RandomSet(48, 8);
        using var validation = RandomSet(24, 9);
        // With a weight average, validation scores the average: equal losses need its weights and update count restored.
        var config = Quick(epochs: 3) with { Augment = new AugmentConfig(), WeightAverageDecay = weightAverageDecay > 0 ? weightAverageDecay : null };

        using var straight = Trainer.Create(Small(ModelKind.Fersnet), config, ThreeClasses);
        straight.Fit(train, validation);

        string run = dir.Combine("run");
        byte[]? bestWhenKilled;
        using (var first = Trainer.Create(Small(ModelKind.Fersnet), config, ThreeClasses))
        {
            // "Killed" after epoch 2 of 3.
            using var kill = new CancellationTokenSource();
            first.EpochCompleted += m => { if (m.Epoch == 2) kill.Cancel(); };
            Assert.Throws<OperationCanceledException>(() => first.Fit(train, validation, run, kill.Token));
            bestWhenKilled = first.BestModelState;
        }
        Assert.True(File.Exists(Path.Combine(run, "last.ckpt")));
        Assert.Equal(2, RunFiles.ReadMetrics(Path.Combine(run, "metrics.jsonl")).Count);
        // The best epoch's weights are in best.ckpt alone, and a resume takes them from there.
        Assert.DoesNotContain("best_model", Checkpoint.Load(Path.Combine(run, "last.ckpt")).Sections.Keys);
        Assert.NotNull(bestWhenKilled);

        using var resumed = Trainer.Resume(Path.Combine(run, "last.ckpt"));
        Assert.Equal(2, resumed.CompletedEpochs);
        Assert.Equal(bestWhenKilled, resumed.BestModelState);
        resumed.Fit(train, validation, run);
        Assert.Equal([1, 2, 3], resumed.History.Select(m => m.Epoch));
        Assert.Equal(3, RunFiles.ReadMetrics(Path.Combine(run, "metrics.jsonl")).Count);
        // curves.png is drawn by the CLI on EpochCompleted since the restructure, not by the trainer.
        Assert.True(File.Exists(Path.Combine(run, "best.ckpt")));
        // Same weights, optimiser moments and random streams: the resumed epoch is the one the straight run had.
        Assert.Equal(straight.History[^1].ValidationLoss, resumed.History[^1].ValidationLoss);
        Assert.Equal(straight.History[^1].TrainLoss, resumed.History[^1].TrainLoss);
    }

    [Fact]
    public void A_run_folder_without_the_best_epoch_it_names_is_a_clear_error_on_resume()
    {
        using var dir = new TempDir();
        using var train = RandomSet(16, 12);
        string run = dir.Combine("run");
        using (var trainer = Trainer.Create(Small(ModelKind.Single), Quick(epochs: 1), ThreeClasses))
            trainer.Fit(train, train, run);
        string last = Path.Combine(run, RunFiles.LastCheckpoint), best = Path.Combine(run, RunFiles.BestCheckpoint);

        // A best.ckpt newer than last.ckpt (killed between the two writes) is no error: the lost epoch is trained again.
        var (header, sections) = Checkpoint.Load(best);
        Checkpoint.Save(best, header with { Epoch = 2 }, sections);
        using (var resumed = Trainer.Resume(last)) Assert.Null(resumed.BestModelState);

        Checkpoint.Save(best, header with { Epoch = 0 }, sections);
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(last));
        Assert.Equal($"{last}: its best epoch is 1, but best.ckpt beside it holds epoch 0", e.Message);

        File.Delete(best);
        e = Assert.Throws<CheckpointException>(() => Trainer.Resume(last));
        Assert.Equal($"{last}: its best epoch (1) is kept in best.ckpt beside it, which is missing", e.Message);
    }

    [Fact]
    public void The_weight_average_moves_toward_the_trained_weights_by_its_decay()
    {
        using var set = RandomSet(16, 11);
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), Quick() with { WeightAverageDecay = 0.9 }, ThreeClasses);
        Assert.NotSame(trainer.Model, trainer.EvaluatedModel);
        var average = State(trainer.EvaluatedModel);
        var live = State(trainer.Model);
        foreach (var (name, tensor) in average) Assert.True(Same(tensor, live[name]), $"{name} starts as the live weights");

        // Warm-up decays (timm's): min(0.9, 1/10) for the first update, min(0.9, 2/11) for the second.
        foreach (double decay in new[] { 1.0 / 10, 2.0 / 11 })
        {
            var before = average.ToDictionary(p => p.Key, p => p.Value.clone());
            trainer.TrainStep(set.Images, set.Labels, synthesis: true);
            foreach (var (name, tensor) in average)
            {
                if (!tensor.is_floating_point())
                {
                    Assert.True(Same(tensor, live[name]), $"{name}: counters are copied");
                    continue;
                }
                using var expected = before[name] * decay + live[name].detach() * (1 - decay);
                Assert.True(tensor.allclose(expected, rtol: 1e-5, atol: 1e-6), $"{name}: average = d * average + (1 - d) * live");
                Assert.False(tensor.requires_grad, $"{name} of the average takes no gradient");
            }
        }
        Assert.False(Same(average["fer_head.fc.weight"], live["fer_head.fc.weight"]), "the average lags the trained weights");

        // The checkpoint that inference loads holds the average; the resumable one keeps both.
        using var dir = new TempDir();
        trainer.SaveCheckpoint(dir.Combine("best.ckpt"), includeTrainingState: false);
        using var loaded = TrainedModel.Load(dir.Combine("best.ckpt"));
        Assert.True(Same(State(loaded.Model)["fer_head.fc.weight"], average["fer_head.fc.weight"]));

        static Dictionary<string, Tensor> State(nn.Module module) =>
            module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(module.named_buffers()).ToDictionary(p => p.Item1, p => p.Item2);
        static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();
    }

    [Fact]
    public void A_damaged_checkpoint_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var train = RandomSet(16, 10);
        using var trainer = Trainer.Create(Small(ModelKind.Single), Quick(), ThreeClasses);
        string path = dir.Combine("x.ckpt");
        trainer.SaveCheckpoint(path);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => TrainedModel.Load(path)).Message);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(path, flipped);
        var e = Assert.Throws<CheckpointException>(() => Trainer.Resume(path));
        Assert.StartsWith(path, e.Message);
        Assert.Contains("checksum", e.Message);

        File.WriteAllText(path, "hello");
        Assert.Contains("not a Fersnet checkpoint", Assert.Throws<CheckpointException>(() => TrainedModel.Load(path)).Message);
        Assert.Contains("does not exist", Assert.Throws<CheckpointException>(() => TrainedModel.Load(dir.Combine("none.ckpt"))).Message);
    }

    [Fact]
    public void Checkpoints_are_compressed_and_the_uncompressed_format_still_loads()
    {
        using var dir = new TempDir();
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), Quick(), ThreeClasses);
        string path = dir.Combine("last.ckpt");
        trainer.SaveCheckpoint(path);
        var (header, sections) = Checkpoint.Load(path);
        long raw = sections.Values.Sum(b => (long)b.Length);
        Assert.True(new FileInfo(path).Length < raw, $"{new FileInfo(path).Length} bytes on disk for {raw} bytes of sections");
        using (var resumed = Trainer.Resume(path))
            Assert.Equal(header.Model, resumed.Model.Config);
        // Byte planes are a permutation: every length (also one not a multiple of 4) comes back whole.
        foreach (int length in new[] { 0, 3, 4, 13, 4096 })
        {
            var data = Enumerable.Range(0, length).Select(i => (byte)(i * 37 + 11)).ToArray();
            Assert.Equal(data, Checkpoint.FromBytePlanes(Checkpoint.ToBytePlanes(data)));
        }
        Assert.Equal(new byte[] { 1, 5, 2, 6, 3, 7, 4, 8, 9 }, Checkpoint.ToBytePlanes([1, 2, 3, 4, 5, 6, 7, 8, 9]));
        // A committed model written before compression (format 1) loads as it did.
        string old = Path.Combine(TestPaths.RepoRoot, "models", "ckplus-holdout-single-lite.ckpt");
        Assert.Equal(1, BitConverter.ToInt32(File.ReadAllBytes(old), 12));
        using var model = TrainedModel.Load(old);
        Assert.Equal(7, model.Labels.Count);
    }

    [Fact]
    public void Mirror_averaging_averages_each_face_with_its_mirror_image()
    {
        using var set = RandomSet(20, 7);
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), Quick(), ThreeClasses);
        using var flipped = new FaceTensorSet(set.Images.flip(3), set.Labels.clone(), set.Samples, ThreeClasses, []);
        using var plain = Evaluator.Predict(trainer.Model, set, batchSize: 8);
        using var mirror = Evaluator.Predict(trainer.Model, flipped, batchSize: 8);
        using var averaged = Evaluator.Predict(trainer.Model, set, batchSize: 8, views: TestTimeViews.Mirrored);

        using var expected = (plain.Probabilities + mirror.Probabilities) / 2;
        Assert.True(averaged.Probabilities.allclose(expected, rtol: 1e-4, atol: 1e-6));
        Assert.True((plain.Probabilities - mirror.Probabilities).abs().max().item<float>() > 0); // the faces are not symmetric: the mirror is another input
        Assert.Equal(expected.argmax(1).data<long>().Select(v => (int)v), averaged.Predicted);
        using var nll = -expected.gather(1, set.Labels.unsqueeze(1)).log().mean();
        Assert.Equal(nll.item<float>(), averaged.MeanLoss, 4);
    }

    [Fact]
    public void Shifted_views_are_the_face_moved_with_its_edges_repeated_and_are_averaged_with_it()
    {
        // The four shifted views of a 2x3 face by one pixel, each in row-major order; edge pixels repeat.
        using var face = arange(1, 7, ScalarType.Float32).view(1, 1, 2, 3);                       // [[1,2,3],[4,5,6]]
        using var shifted = new TestTimeViews(false, Shift: 1).OtherViews(face);                  // (4,1,2,3)
        Assert.Equal([4L, 1, 2, 3], shifted.shape);
        Assert.Equal(new float[] { 1, 1, 2, 4, 4, 5,   2, 3, 3, 5, 6, 6,   1, 2, 3, 1, 2, 3,   4, 5, 6, 4, 5, 6 }, shifted.data<float>().ToArray());
        using var both = new TestTimeViews(true, Shift: 1).OtherViews(face);                     // (9,1,2,3): mirror, then the shifts mirrored
        Assert.Equal(9, new TestTimeViews(true, 1).Count - 1);
        Assert.Equal(new float[] { 3, 2, 1, 6, 5, 4 }, both[4].data<float>().ToArray());
        Assert.Equal(new float[] { 2, 1, 1, 5, 4, 4 }, both[5].data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => new TestTimeViews(false, 24).Validate(48));

        // Averaged over the set: the mean of the probabilities of the face and of each view read on its own.
        using var set = RandomSet(12, 7);
        using var trainer = Trainer.Create(Small(ModelKind.Single), Quick(), ThreeClasses);
        var views = new TestTimeViews(true, Shift: 2);
        using var averaged = Evaluator.Predict(trainer.Model, set, batchSize: 5, views: views);
        using var plain = Evaluator.Predict(trainer.Model, set);
        using var others = views.OtherViews(set.Images);                                          // (9·N,1,H,W)
        var each = new List<Tensor> { plain.Probabilities };
        for (int v = 0; v < views.Count - 1; v++)
        {
            using var one = new FaceTensorSet(others.narrow(0, v * set.Count, set.Count), set.Labels.clone(), set.Samples, ThreeClasses, []);
            using var read = Evaluator.Predict(trainer.Model, one);
            each.Add(read.Probabilities.clone());
        }
        using var expected = stack(each, 0).mean([0]);
        Assert.True(averaged.Probabilities.allclose(expected, rtol: 1e-4, atol: 1e-6));
        Assert.True((averaged.Probabilities - plain.Probabilities).abs().max().item<float>() > 0);    // the views are other inputs
        foreach (var t in each) t.Dispose();
    }

    [Fact]
    public void Nested_view_sets_read_together_equal_each_read_alone()
    {
        // The views in Views() order are the face, then OtherViews' stack.
        Assert.Equal([new(0, 0, false), new(0, -1, false), new(0, 1, false), new(-1, 0, false), new(1, 0, false),
                      new(0, 0, true), new(0, -1, true), new(0, 1, true), new(-1, 0, true), new(1, 0, true)],
            new TestTimeViews(true, 1).Views());
        Assert.Equal([0L, 5], TestTimeViews.Mirrored.PositionsWithin(new TestTimeViews(true, 2)));
        Assert.Equal([0L, 1, 2, 3, 4], new TestTimeViews(false, 2).PositionsWithin(new TestTimeViews(true, 2)));
        Assert.Throws<ArgumentException>(() => TestTimeViews.Mirrored.PositionsWithin(new TestTimeViews(false, 2)));

        using var set = RandomSet(13, 7);
        using var trainer = Trainer.Create(Small(ModelKind.Fersnet), Quick(), ThreeClasses);
        TestTimeViews[] sets = [TestTimeViews.Plain, TestTimeViews.Mirrored, new(false, 2), new(true, 2)];
        var together = Evaluator.PredictEach(trainer.Model, set, sets, batchSize: 5);
        Assert.Equal(sets.Length, together.Length);
        for (int s = 0; s < sets.Length; s++)
        {
            using var alone = Evaluator.Predict(trainer.Model, set, batchSize: 5, views: sets[s]);
            Assert.True(together[s].Probabilities.allclose(alone.Probabilities, rtol: 1e-4, atol: 1e-6), $"views {sets[s]}");
            Assert.Equal(alone.MeanLoss, together[s].MeanLoss, 4);
            Assert.Equal(alone.Actual, together[s].Actual);
        }
        Assert.True((together[0].Probabilities - together[1].Probabilities).abs().max().item<float>() > 0);   // each set its own average
        foreach (var p in together) p.Dispose();

        // With the gates measured, as a plain reading measures them; shifts that do not nest are refused.
        var gated = Evaluator.PredictEachWithGates(trainer.Model, set, [TestTimeViews.Plain, TestTimeViews.Mirrored], out var gates);
        using var plainGated = Evaluator.PredictWithGates(trainer.Model, set, out var plainGates);
        Assert.NotNull(gates);
        Assert.Equal(plainGates!, gates);
        foreach (var p in gated) p.Dispose();
        Assert.Throws<ArgumentException>(() => Evaluator.PredictEach(trainer.Model, set, [new(false, 1), new(true, 2)]));
        Assert.Throws<ArgumentException>(() => Evaluator.PredictEach(trainer.Model, set, [new(false, -1), new(true, 2)]));   // each set checked
    }

    /// <summary>A judge checkpoint: a small single-task model (untrained, 32 px) of <paramref name="labels"/>.</summary>
    private static string SaveJudge(TempDir dir, LabelSet labels, string name = "judge.ckpt")
    {
        using var judge = Trainer.Create(new ModelConfig(ModelKind.Single, 32, 8, false, labels.Count), Quick() with { Seed = 9 }, labels);
        string path = dir.Combine(name);
        judge.SaveCheckpoint(path, includeTrainingState: false);
        return path;
    }

    [Fact]
    public void A_frozen_judge_scores_the_targets_it_knows_and_leaves_out_the_others()
    {
        using var dir = new TempDir();
        var judgeLabels = new LabelSet([Expression.Neutral, Expression.Anger, Expression.Happiness]);
        string path = SaveJudge(dir, judgeLabels);
        using var judge = ExpressionJudge.Load(path, ThreeClasses, CPU);
        Assert.Equal([Expression.Anger, Expression.Happiness], judge.Known);

        using var scope = NewDisposeScope();
        var faces = (rand([4, 1, 48, 48], generator: new Generator(5)) * 2 - 1).requires_grad_();   // 48 px: resized to the judge's 32
        var targets = tensor(new long[] { 0, 1, 2, 2 });                                              // anger, happiness, surprise, surprise
        var loss = judge.Loss(faces, targets);

        using var reference = Inference.TrainedModel.Load(path);
        var logits = reference.Model.call(nn.functional.interpolate(faces.detach(), [32, 32], mode: InterpolationMode.Bilinear), null).FerLogits;
        var expected = nn.functional.cross_entropy(logits.narrow(0, 0, 2), tensor(new long[] { judgeLabels.IndexOf(Expression.Anger), judgeLabels.IndexOf(Expression.Happiness) }));
        Assert.Equal(expected.item<float>(), loss.item<float>(), 4);
        loss.backward();
        var perFace = faces.grad!.abs().sum([1, 2, 3]).data<float>().ToArray();
        Assert.True(perFace[0] > 0 && perFace[1] > 0, "the judge's gradient must reach the faces it knows the target of");
        Assert.Equal([0f, 0f], perFace[2..]);                                                         // surprise: unknown to the judge
        Assert.Equal(0f, judge.Loss(faces.detach().narrow(0, 2, 2), targets.narrow(0, 2, 2)).item<float>());

        var unrelated = SaveJudge(dir, new LabelSet([Expression.Neutral, Expression.Contempt]), "unrelated.ckpt");
        var e = Assert.Throws<CheckpointException>(() => ExpressionJudge.Load(unrelated, ThreeClasses, CPU));
        Assert.Contains("none of the classes trained", e.Message);
    }

    [Fact]
    public void Loading_a_model_leaves_the_global_random_stream_as_it_was()
    {
        using var dir = new TempDir();
        string path = SaveJudge(dir, ThreeClasses);
        manual_seed(3);
        using var expected = rand(8);
        manual_seed(3);
        Checkpoint.LoadModel(path).Model.Dispose();
        using var drawn = rand(8);
        Assert.True(drawn.eq(expected).all().item<bool>(), "building the loaded modules must not consume the global stream");
    }

    [Fact]
    public void The_judge_sees_faces_through_a_blur_that_keeps_flat_faces_and_smooths_marks()
    {
        using var dir = new TempDir();
        string path = SaveJudge(dir, new LabelSet([Expression.Neutral, Expression.Anger, Expression.Happiness]));
        using var kernel = ExpressionJudge.GaussianKernel(1);
        Assert.Equal([1L, 1, 5, 5], kernel.shape);
        Assert.Equal(1f, kernel.sum().item<float>(), 5);
        Assert.True(kernel.allclose(kernel.flip(2)) && kernel.allclose(kernel.transpose(2, 3)));

        using var sharp = ExpressionJudge.Load(path, ThreeClasses, CPU);
        using var blurred = ExpressionJudge.Load(path, ThreeClasses, CPU, blurSigma: 1);
        using var scope = NewDisposeScope();
        var targets = tensor(new long[] { 0, 1 });
        var flat = full([2, 1, 32, 32], 0.3f);                                               // a blur leaves it as it is, borders included
        Assert.Equal(sharp.Loss(flat, targets).item<float>(), blurred.Loss(flat, targets).item<float>(), 4);
        var marks = (arange(32).remainder(2).to(ScalarType.Float32) * 2 - 1).view(1, 1, 1, 32).expand(2, 1, 32, 32);   // 1-pixel stripes
        var marksBlurred = nn.functional.conv2d(nn.functional.pad(marks, [2, 2, 2, 2], PaddingModes.Replicate), kernel);
        Assert.True(marksBlurred.narrow(3, 2, 28).abs().max().item<float>() < 0.05f, "a blur of 1 pixel all but removes 1-pixel stripes of amplitude 1");
        Assert.Equal(sharp.Loss(marksBlurred, targets).item<float>(), blurred.Loss(marks, targets).item<float>(), 4);
    }

    [Fact]
    public void A_judged_run_starts_like_an_unjudged_one_and_the_judge_moves_only_the_generator()
    {
        using var dir = new TempDir();
        string path = SaveJudge(dir, new LabelSet([Expression.Neutral, Expression.Anger, Expression.Happiness]));
        using var set = RandomSet(16, 12);
        var config = Quick() with { GradientClip = 1e9 };   // no clipping: one step's gradients compared term by term
        using var plain = Trainer.Create(Small(ModelKind.Fersnet), config, ThreeClasses);
        using var judged = Trainer.Create(Small(ModelKind.Fersnet), config with { JudgeFrom = path, Losses = new LossWeights { Judge = 1 } }, ThreeClasses);
        // Loading the judge does not shift the run's random streams: same initial weights.
        foreach (var ((name, a), (_, b)) in plain.Model.named_parameters().Zip(judged.Model.named_parameters()))
            Assert.True(a.eq(b).all().item<bool>(), $"{name} starts differently");

        manual_seed(7);   // the same dropout masks in both steps (the global stream is the process's)
        var plainStep = plain.TrainStep(set.Images, set.Labels, synthesis: true);
        manual_seed(7);
        var judgedStep = judged.TrainStep(set.Images, set.Labels, synthesis: true);
        Assert.DoesNotContain("g_judge", plainStep.Terms.Keys);
        Assert.True(judgedStep.Terms["g_judge"] > 0);
        Assert.Equal(plainStep.Terms["d_adv"], judgedStep.Terms["d_adv"], 6);                       // D's phase is untouched
        var plainGrads = plain.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        bool decoderMoved = judged.Model.named_parameters().Where(p => p.name.StartsWith("fes_decoder"))
            .Any(p => !p.parameter.grad!.allclose(plainGrads[p.name], rtol: 1e-5, atol: 1e-8));
        Assert.True(decoderMoved, "the judge's term must reach the generator");
        // The recognition head still learns from real faces alone: the judge reads generated faces, not its logits.
        foreach (var (name, parameter) in judged.Model.named_parameters().Where(p => p.name.StartsWith("fer_head")))
            Assert.True(parameter.grad!.allclose(plainGrads[name], rtol: 1e-4, atol: 1e-7), $"{name}: {(parameter.grad! - plainGrads[name]).abs().max().item<float>()} of {plainGrads[name].abs().max().item<float>()}");
    }

    [Fact]
    public void Classification_report_counts_correctly()
    {
        var report = ClassificationReport.From([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0], ThreeClasses);
        Assert.Equal(4.0 / 6, report.Accuracy, 9);
        Assert.Equal([[1, 1, 0], [0, 2, 0], [1, 0, 1]], report.Confusion);
        Assert.Equal(0.5, report.PerClass[0].Recall, 9);
        Assert.Equal(2.0 / 3, report.PerClass[1].Precision, 9);
        double f1Anger = 0.5, f1Happy = 0.8, f1Surprise = 2 * 0.5 / 1.5;
        Assert.Equal((f1Anger + f1Happy + f1Surprise) / 3, report.MacroF1, 9);
    }
}
