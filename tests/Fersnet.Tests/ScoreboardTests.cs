using System.Text.Json;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Inference;
using Fersnet.Lab.Experiments;
using Fersnet.Models;
using Fersnet.Training;
using TorchSharp;

namespace Fersnet.Tests;

public class ScoreboardTests
{
    static ScoreboardTests() => _ = TestPaths.RepoRoot;

    private static readonly LabelSet ThreeClasses = new([Expression.Anger, Expression.Happiness, Expression.Surprise]);

    [Fact]
    public void McNemar_counts_the_discordant_images_and_gives_the_exact_binomial_p_value()
    {
        int[] actual = [0, 0, 1, 1, 2, 2, 0, 1];
        int[] first = [0, 0, 1, 1, 2, 0, 1, 1];    // right on 0,1,2,3,4,7
        int[] second = [0, 1, 1, 0, 2, 2, 1, 2];   // right on 0,2,4,5
        var test = McNemar.Of(actual, first, second);
        Assert.Equal((3, 3, 1, 1), (test.BothRight, test.OnlyFirstRight, test.OnlySecondRight, test.BothWrong));
        Assert.Equal(2.0 / 8, test.Difference, 12);
        // 3 against 1 discordant: 2 x P(X <= 1), X ~ Binomial(4, 1/2) = 2 x 5/16.
        Assert.Equal(10.0 / 16, test.PValue, 12);
        Assert.Equal(1, McNemar.PValueOf(0, 0));
        // Large counts: chi-square with continuity correction, (|60-30|-1)^2/90 = 9.34 -> p = 0.00224.
        Assert.Equal(0.00224, McNemar.PValueOf(60, 30), 4);
        Assert.Throws<ArgumentException>(() => McNemar.Of(actual, first, second[..7]));
    }

    [Fact]
    public void A_model_trained_on_a_scored_split_is_flagged_and_never_the_best()
    {
        using var dir = new TempDir();
        string data = dir.Combine("fer2013");
        string[] folders = ["angry", "happy", "surprise"];
        for (int i = 0; i < 12; i++)
        {
            Fixtures.WriteFace(Path.Combine(data, "train", folders[i % 3], $"Training_{i}.png"), i);
            Fixtures.WriteFace(Path.Combine(data, "test", folders[i % 3], $"PublicTest_{i}.png"), 20 + i);
            Fixtures.WriteFace(Path.Combine(data, "test", folders[i % 3], $"PrivateTest_{i}.png"), 40 + i);
        }
        string Checkpoint(string name, int seed, DataConfig trainedOn)
        {
            var model = new ModelConfig(ModelKind.Single, 48, 8, false, 3);
            using var trainer = Trainer.Create(model, new TrainConfig { Epochs = 1, Seed = seed }, ThreeClasses, trainedOn);
            string path = dir.Combine($"{name}.ckpt");
            trainer.SaveCheckpoint(path);
            return path;
        }
        string clean = Checkpoint("clean", 1, new DataConfig(data));
        string clean2 = Checkpoint("clean2", 3, new DataConfig(data));
        string leaky = Checkpoint("leaky", 2, new DataConfig("/elsewhere/fer2013", TrainSplits: ["Training", "PublicTest"], ValidationSplits: ["PrivateTest"]));

        // Another dataset (CK+'s layout: class folders) with a class the models do not know: its faces are left out.
        string other = dir.Combine("other");
        for (int i = 0; i < 8; i++) Fixtures.WriteFace(Path.Combine(other, i < 6 ? folders[i % 3] : "contempt", $"S{i:000}_001_0000000{i}.png"), 60 + i);

        var board = Scoreboard.Score("fer", "test", data, [("clean", clean), ("leaky", leaky), ("clean2", clean2)], dir.Combine("figures"), transfer: [("other", other)],
            ensembles: [("both", ["clean", "leaky", "clean2"])], views: new TestTimeViews(Mirror: true, Shift: 2));
        var ensemble = board.Models[^1];
        Assert.Equal(("both", "ensemble"), (ensemble.Name, ensemble.Variant));
        Assert.NotNull(ensemble.Members);
        Assert.DoesNotContain("leaky", ensemble.Members);   // a model that trained on a scored split is never a member
        Assert.Equal(12, ensemble.Actual.Length);
        Assert.Equal(6, Assert.Single(ensemble.Transfer).Faces);
        // An ensemble has no selected epoch of its own: its row counts its members instead.
        Assert.Contains($"| both | ensemble | {ensemble.Epochs} ({ensemble.Members.Count} members) |", board.Markdown("figures"));
        board = board with { Models = board.Models.SkipLast(1).ToArray(), Comparisons = board.Comparisons.Where(c => c.Second != "both").ToArray() };

        Assert.Equal(["clean", "leaky", "clean2"], board.Models.Select(m => m.Name));
        Assert.Empty(board.Models[0].TrainedOnScoredSplits);
        Assert.Equal(["PublicTest"], board.Models[1].TrainedOnScoredSplits);
        Assert.Contains(board.Best, new[] { "clean", "clean2" });
        Assert.All(board.Models, m => Assert.Equal(12, m.Actual.Length));
        Assert.All(board.Models, m => Assert.True(File.Exists(Path.Combine(dir.Path, "figures", m.ConfusionFigure))));
        var transfer = Assert.Single(board.Models[0].Transfer);
        Assert.Equal(("other", 6), (transfer.Dataset, transfer.Faces));
        Assert.Equal(["anger", "happiness", "surprise"], transfer.Recall.Keys);
        Assert.InRange(transfer.MirroredAccuracy, 0, 1);
        Assert.Contains("| model | accuracy | mirror-averaged | 10 views | macro-F1 |", board.Markdown("figures"));
        Assert.Contains("| PrivateTest | PrivateTest mirror-averaged | PrivateTest 10 views | macro-F1 |", board.Markdown("figures"));
        Assert.InRange(transfer.ViewsAccuracy!.Value, 0, 1);
        // The 10-view figure is the evaluator's with the same views on the same faces.
        using (var model = TrainedModel.Load(clean))
        {
            var scan = DatasetReader.Read(data);
            using var faces = FaceDataLoader.Load(scan with { Samples = scan.Samples.Where(f => f.Split == "PrivateTest").ToArray() }, 48, model.Labels);
            using var viewed = Evaluator.Predict(model.Model, faces, views: board.Views);
            Assert.Equal(viewed.Report(model.Labels).Accuracy, board.Models[0].PrivateTestViewsAccuracy);
        }
        Assert.Contains("Beyond fer: every face of other whose class the models know (6 faces)", board.Markdown("figures"));
        // Paired only among test figures: the leaky model is in no comparison.
        var pair = Assert.Single(board.Comparisons);
        Assert.Equal(("clean", "clean2", 12), (pair.First, pair.Second, pair.Test.Images));
        Assert.Contains("leaky (trained on PublicTest)", board.Markdown("figures"));

        // The model card: the facts from the checkpoint, and a confusion matrix of every scored face.
        string card = ModelCard.Render(board, board.Models[0], "figures");
        Assert.Contains("- Classes: anger, happiness, surprise", card);
        Assert.Contains("- Trained on: fer Training; epoch", card);
        // Its accuracy table carries the 10-view reading beside the plain and mirror-averaged ones, as the notebook does.
        var accuracyRows = card.Split('\n').SkipWhile(l => !l.StartsWith("## Accuracy", StringComparison.Ordinal)).Where(l => l.StartsWith('|')).Take(3).ToArray();
        Assert.Contains("| PrivateTest 10 views |", accuracyRows[0]);
        Assert.Contains(Fersnet.Lab.Reporting.Markdown.Percent(board.Models[0].PrivateTestViewsAccuracy!.Value), accuracyRows[2]);
        var confusionRows = card.Split('\n').SkipWhile(l => !l.StartsWith("| true", StringComparison.Ordinal)).Skip(2).TakeWhile(l => l.StartsWith('|')).ToArray();
        Assert.Equal(3, confusionRows.Length);
        Assert.Equal(12, confusionRows.Sum(r => r.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Skip(1).Sum(int.Parse)));
        Assert.Contains("not test figures", ModelCard.Render(board, board.Models[1], "figures"));

        // The JSON carries the fields docs/results/fer2013.json promises, accuracies as fractions.
        string json = dir.Combine("fer2013.json");
        board.WriteJson(json);
        using var parsed = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(board.Best, parsed.RootElement.GetProperty("best").GetString());
        var first = parsed.RootElement.GetProperty("models")[0];
        foreach (var field in new[] { "name", "variant", "checkpoint", "privateTestAccuracy", "publicTestAccuracy", "macroF1", "trainImagesPerSecond", "epochs" })
            Assert.True(first.TryGetProperty(field, out _), $"{field} is missing");
        Assert.InRange(first.GetProperty("privateTestAccuracy").GetDouble(), 0, 1);
        Assert.InRange(first.GetProperty("privateTestViewsAccuracy").GetDouble(), 0, 1);
        Assert.Equal(2, parsed.RootElement.GetProperty("views").GetProperty("shift").GetInt32());
    }

    [Fact]
    public void An_ensemble_is_the_mean_of_its_members_chosen_by_their_loss_on_the_selection_split()
    {
        // Four faces of two classes. A is sure and right on faces 0-1, unsure and wrong on 2-3; B the other way round (a little
        // less sure: A is the better alone); C confidently wrong everywhere.
        Predictions Of(float[,] p) => new(torch.tensor(p), Enumerable.Range(0, 4).Select(i => p[i, 1] > p[i, 0] ? 1 : 0).ToArray(), [0, 1, 0, 1],
            Enumerable.Range(0, 4).Average(i => -Math.Log(p[i, i % 2])));
        using var a = Of(new float[,] { { 0.95f, 0.05f }, { 0.05f, 0.95f }, { 0.45f, 0.55f }, { 0.55f, 0.45f } });
        using var b = Of(new float[,] { { 0.45f, 0.55f }, { 0.55f, 0.45f }, { 0.9f, 0.1f }, { 0.1f, 0.9f } });
        using var c = Of(new float[,] { { 0.1f, 0.9f }, { 0.9f, 0.1f }, { 0.2f, 0.8f }, { 0.8f, 0.2f } });

        using var mean = Predictions.Mean([a, b]);
        Assert.Equal([0, 1, 0, 1], mean.Predicted);          // each member's sure faces win
        Assert.Equal(0.7f, mean.Probabilities[0, 0].item<float>(), 5);
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.675)) / 2, mean.MeanLoss, 4);
        Assert.Equal(["a", "b"], Scoreboard.ChooseMembers([("c", c), ("a", a), ("b", b)]));
        Assert.Equal(["a"], Scoreboard.ChooseMembers([("a", a), ("c", c)]));    // adding c would raise the loss
        using var other = new Predictions(torch.zeros(3, 2), [0, 0, 0], [0, 1, 0], 0);
        Assert.Throws<ArgumentException>(() => Predictions.Mean([a, other]));
    }
}
