using System.Text.Json;
using Fersnet.Data;
using Fersnet.Inference;
using Fersnet.Models;
using Fersnet.Lab.Synthesis;
using Fersnet.Synthesis;
using Fersnet.Training;
using OpenCvSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Tests;

/// <summary>Issue 17: the skip decoder with its attention mask, its losses, <c>synthesize</c> and <c>evaluate-synthesis</c>.</summary>
public class SynthesisFeatureTests
{
    static SynthesisFeatureTests() => _ = TestPaths.RepoRoot;

    private static Tensor OneHot(long[] labels, int classes) =>
        nn.functional.one_hot(tensor(labels, ScalarType.Int64), classes).to(ScalarType.Float32);

    [Theory]
    [InlineData(ModelKind.Fersnet)]
    [InlineData(ModelKind.Hard)]
    public void The_skip_decoder_draws_a_face_of_the_input_size_in_range_with_a_mask_in_0_1(ModelKind kind)
    {
        using var scope = NewDisposeScope();
        var config = ModelConfig.Lite(kind, 7) with { Decoder = SynthesisDecoder.Skip };
        using var model = ModelFactory.Create(config);
        model.eval();
        using var _ = no_grad();
        var x = rand(3, 1, 48, 48) * 2 - 1;
        var output = model.call(x, OneHot([0, 3, 6], 7));
        Assert.Equal([3L, 1, 48, 48], output.Synthesized!.shape);
        Assert.Equal([3L, 1, 48, 48], output.AttentionMask!.shape);
        Assert.InRange(output.Synthesized.min().item<float>(), -1f, 1f);
        Assert.InRange(output.Synthesized.max().item<float>(), -1f, 1f);
        Assert.InRange(output.AttentionMask.min().item<float>(), 0f, 1f);
        Assert.InRange(output.AttentionMask.max().item<float>(), 0f, 1f);
        Assert.Equal([3L, 7], output.FerLogits.shape);
        Assert.Null(model.call(x, null).Synthesized);
        // The label reaches the drawing.
        Assert.False(output.Synthesized.allclose(model.call(x, OneHot([1, 1, 1], 7)).Synthesized!));
        Assert.DoesNotContain(model.named_parameters(), p => p.name.StartsWith("fes_decoder.", StringComparison.Ordinal));
    }

    [Fact]
    public void The_attention_mask_keeps_the_input_where_it_is_0_and_takes_the_colour_where_it_is_1()
    {
        using var scope = NewDisposeScope();
        var input = rand(2, 1, 8, 8) * 2 - 1;
        var colour = rand(2, 1, 8, 8) * 2 - 1;
        var mask = zeros(2, 1, 8, 8);
        mask[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, 4), TensorIndex.Colon] = ones(2, 1, 4, 8);
        var face = SkipDecoder.Compose(colour, mask, input);
        Assert.True(face.narrow(2, 4, 4).eq(input.narrow(2, 4, 4)).all().item<bool>(), "where A = 0 the input must stay as it is");
        Assert.True(face.narrow(2, 0, 4).allclose(colour.narrow(2, 0, 4)));
    }

    /// <summary>A skip-decoder model whose mask is forced shut: it returns its input whatever the target (a perfect
    /// generator for target = source).</summary>
    private static MultiTaskModel ShutMask(MultiTaskModel model)
    {
        using var _ = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
            if (name.Contains("to_mask", StringComparison.Ordinal)) parameter.fill_(name.EndsWith("bias", StringComparison.Ordinal) ? -1e4 : 0);
        return model;
    }

    [Fact]
    public void The_identity_loss_is_zero_for_a_generator_that_keeps_the_face_of_its_own_expression()
    {
        using var scope = NewDisposeScope();
        using var model = ShutMask(ModelFactory.Create(ModelConfig.Lite(ModelKind.Fersnet, 7) with { Decoder = SynthesisDecoder.Skip }));
        model.eval();
        var x = rand(4, 1, 48, 48) * 2 - 1;
        long[] own = [0, 2, 4, 6];
        var output = model.call(x, OneHot(own, 7));
        var sameExpression = ones(4);
        Assert.Equal(0f, Losses.MaskedL1(output.Synthesized!, x, sameExpression).item<float>());
        Assert.Equal(0f, Losses.MaskSparsity(output.AttentionMask!).item<float>(), 6);
        Assert.Equal(0f, Losses.MaskSmoothness(output.AttentionMask!).item<float>(), 6);
        // And not zero for an imperfect generator: the same network with its mask open.
        using var open = ModelFactory.Create(ModelConfig.Lite(ModelKind.Fersnet, 7) with { Decoder = SynthesisDecoder.Skip });
        open.eval();
        Assert.True(Losses.MaskedL1(open.call(x, OneHot(own, 7)).Synthesized!, x, sameExpression).item<float>() > 1e-3);
    }

    [Fact]
    public void Old_checkpoints_keep_their_decoder_and_load_for_recognition_and_synthesis()
    {
        string path = Path.Combine(TestPaths.RepoRoot, "models", "fer2013sharp-fersnet-lite.ckpt");
        using var trained = TrainedModel.Load(path);
        Assert.Equal(SynthesisDecoder.Bottleneck, trained.Model.Config.Decoder);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = trained.Model.call(zeros(1, 1, 48, 48), OneHot([1], trained.Labels.Count));
        Assert.Equal([1L, 1, 48, 48], output.Synthesized!.shape);
        Assert.Null(output.AttentionMask);
        // A new-decoder run warm-starts from it: everything but the decoder, which starts fresh (and says so).
        var labels = new LabelSet(trained.Labels.Classes);
        using var warm = Trainer.Create(ModelConfig.Lite(ModelKind.Fersnet, labels.Count) with { Decoder = SynthesisDecoder.Skip },
            new TrainConfig { InitFrom = path }, labels);
        Assert.True(warm.WarmStarted!.FreshDecoder);
    }

    [Fact]
    public void Configurations_from_before_the_new_terms_serialise_as_they_did_and_runs_using_them_record_their_weights()
    {
        string json = System.Text.Json.JsonSerializer.Serialize(new TrainConfig(), Fersnet.Serialization.FersnetJson.Options);
        foreach (var field in new[] { "paired", "maskSparsity", "maskSmoothness", "recognitionOfSynthesis", "pairedShare" })
            Assert.DoesNotContain($"\"{field}\"", json);
        string model = System.Text.Json.JsonSerializer.Serialize(ModelConfig.Lite(ModelKind.Fersnet, 7), Fersnet.Serialization.FersnetJson.Options);
        var old = System.Text.Json.JsonSerializer.Deserialize<ModelConfig>(model.Replace(",\"decoder\":\"bottleneck\"", ""), Fersnet.Serialization.FersnetJson.Options)!;
        Assert.Equal(SynthesisDecoder.Bottleneck, old.Decoder);

        var labels = new LabelSet([Expression.Anger, Expression.Happiness]);
        using var skip = Trainer.Create(new ModelConfig(ModelKind.Fersnet, 32, 8, false, 2, Decoder: SynthesisDecoder.Skip), new TrainConfig(), labels);
        Assert.Equal((5.0, 0.02, 1.0), (skip.Config.Losses.Paired, skip.Config.Losses.MaskSparsity, skip.Config.Losses.MaskSmoothness));
        using var bottleneck = Trainer.Create(new ModelConfig(ModelKind.Fersnet, 32, 8, false, 2), new TrainConfig(), labels);
        Assert.Equal(new TrainConfig(), bottleneck.Config);
    }

    [Fact]
    public void Paired_targets_are_expressions_the_subject_shows_and_references_are_its_real_faces()
    {
        var labels = new LabelSet([Expression.Anger, Expression.Happiness, Expression.Surprise]);
        // Subject A shows anger and happiness; B only surprise.
        var samples = new[]
        {
            new FaceSample("a1", Expression.Anger, "A"), new FaceSample("a2", Expression.Happiness, "A"),
            new FaceSample("a3", Expression.Happiness, "A"), new FaceSample("b1", Expression.Surprise, "B"),
        };
        using var set = new FaceTensorSet(zeros(4, 1, 8, 8), tensor(new long[] { 0, 1, 1, 2 }), samples, labels, []);
        var paired = PairedFaces.For(set)!;
        var generator = new Generator(7);
        for (int round = 0; round < 20; round++)
        {
            var (targets, references) = paired.Draw([0, 1, 3], share: 1, generator);
            Assert.Equal(1, targets[0]);                        // a1 (anger): A's other expression is happiness
            Assert.Contains(references[0], new[] { 1, 2 });
            Assert.Equal(0, targets[1]);                        // a2 (happiness) → anger, a1
            Assert.Equal(0, references[1]);
            Assert.Equal(-1, references[2]);                    // B shows nothing else: uniform target, no reference
        }
        using var noSubjects = new FaceTensorSet(zeros(2, 1, 8, 8), tensor(new long[] { 0, 1 }),
            [new FaceSample("x", Expression.Anger), new FaceSample("y", Expression.Happiness)], labels, []);
        Assert.Null(PairedFaces.For(noSubjects));
    }

    /// <summary>A tiny CK+-layout dataset: 10 subjects, each with three expressions in separate sequences.</summary>
    private static string TinyCkPlus(TempDir dir) => Fixtures.TinyCkPlus(dir.Combine("ck"));

    private static string TrainTiny(TempDir dir, string data, string model, string name, params string[] extra)
    {
        string run = dir.Combine(name);
        var result = CliRunner.Run(["train", "--data", data, "--model", model, "--epochs", "1", "--batch-size", "8", "--width", "8",
            "--val-split", "0.2", "--seed", "1", "--out", run, .. extra]);
        Assert.True(result.ExitCode == 0, result.Output);
        return Path.Combine(run, "last.ckpt");
    }

    [Fact]
    public void A_tiny_skip_decoder_run_trains_every_synthesis_term_including_the_paired_loss()
    {
        using var dir = new TempDir();
        string data = TinyCkPlus(dir);
        string checkpoint = TrainTiny(dir, data, "fersnet", "gen", "--decoder", "skip", "--paired-share", "1", "--fer-on-synthesis-weight", "1");
        var (header, _) = Checkpoint.Load(checkpoint);
        Assert.Equal(SynthesisDecoder.Skip, header.Model.Decoder);
        Assert.Equal(1, header.Train.PairedShare);
        var terms = header.History[^1].Terms;
        foreach (var term in new[] { "g_adv", "g_cls", "cycle", "identity", "paired", "g_fer", "mask", "mask_tv", "d_adv", "d_cls" })
            Assert.True(terms.TryGetValue(term, out var v) && double.IsFinite(v), $"term {term} missing or not finite");
        Assert.True(terms["paired"] > 0);
    }

    [Fact]
    public void Synthesize_writes_an_image_per_face_and_target_a_grid_per_face_and_the_manifest_and_reports_a_bad_file()
    {
        using var dir = new TempDir();
        string data = TinyCkPlus(dir);
        string checkpoint = TrainTiny(dir, data, "fersnet", "gen", "--decoder", "skip");
        string faces = dir.Combine("faces");
        Fixtures.WriteFace(Path.Combine(faces, "one.png"), 3, size: 64);
        Fixtures.WriteFace(Path.Combine(faces, "two.jpg"), 5, size: 40);
        File.WriteAllText(Path.Combine(faces, "notes.txt"), "not a face, ignored");
        string outDir = dir.Combine("out");

        var result = CliRunner.Run("synthesize", "--checkpoint", checkpoint, "--input", faces, "--to", "all", "--out", outDir);
        Assert.True(result.ExitCode == 0, result.Output);
        string[] targets = ["anger", "happiness", "surprise"];
        foreach (var face in new[] { "one", "two" })
        {
            foreach (var target in targets)
            {
                using var image = Cv2.ImRead(Path.Combine(outDir, $"{face}_{target}.png"), ImreadModes.Unchanged);
                Assert.Equal((48, 48, 1), (image.Rows, image.Cols, image.Channels()));
            }
            using var grid = Cv2.ImRead(Path.Combine(outDir, $"{face}_grid.png"), ImreadModes.Grayscale);
            Assert.Equal((targets.Length + 1) * 96, grid.Cols);
        }
        var manifest = File.ReadAllLines(Path.Combine(outDir, "manifest.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2 * (targets.Length + 1), manifest.Length);
        Assert.All(manifest, m => Assert.True(File.Exists(m.GetProperty("image").GetString())));
        Assert.Equal(targets.Length, manifest.Count(m => m.GetProperty("source").GetString() == Path.Combine(faces, "one.png") && targets.Contains(m.GetProperty("target").GetString())));
        Assert.Equal(2, manifest.Count(m => m.GetProperty("target").GetString() == SynthesisFiles.GridTarget));

        // One target; a broken file is named on one line and skipped, the good one is still written; exit 1.
        File.WriteAllBytes(Path.Combine(faces, "broken.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);
        string second = dir.Combine("out2");
        var partial = CliRunner.Run("synthesize", "--checkpoint", checkpoint, "--input", faces, "--to", "happy", "--out", second);
        Assert.Equal(1, partial.ExitCode);
        Assert.Single(partial.Output.Split('\n'), l => l.Contains("broken.png"));
        Assert.True(File.Exists(Path.Combine(second, "one_happiness.png")));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(second, "manifest.jsonl")).Length);

        // Usage errors: exit 2, one line.
        Assert.Equal(2, CliRunner.Run("synthesize", "--checkpoint", checkpoint, "--input", faces, "--to", "contempt", "--out", second).ExitCode);
        Assert.Equal(2, CliRunner.Run("synthesize", "--checkpoint", checkpoint, "--input", dir.Combine("nowhere"), "--out", second).ExitCode);
        Assert.Equal(2, CliRunner.Run("synthesize", "--checkpoint", checkpoint, "--input", faces).ExitCode);

        // Without --checkpoint: the bundled synthesis model, which knows CK+'s contempt (the tiny model above does not).
        string bundled = dir.Combine("out3");
        var withBundled = CliRunner.Run("synthesize", "--input", Path.Combine(faces, "one.png"), "--to", "contempt", "--out", bundled);
        Assert.True(withBundled.ExitCode == 0, withBundled.Output);
        Assert.True(File.Exists(Path.Combine(bundled, "one_contempt.png")));
    }

    [Fact]
    public void The_image_api_redraws_a_colour_face_of_any_size_as_a_gray_face_of_the_model_size()
    {
        using var dir = new TempDir();
        string checkpoint = TrainTiny(dir, TinyCkPlus(dir), "hard", "gen", "--decoder", "skip");
        using var synthesizer = ExpressionSynthesizer.Load(checkpoint);
        using var colour = new Mat(60, 50, MatType.CV_8UC3, new OpenCvSharp.Scalar(30, 120, 200));
        using var drawn = synthesizer.Synthesize(colour, Expression.Surprise);
        Assert.Equal((48, 48, MatType.CV_8UC1), (drawn.Rows, drawn.Cols, drawn.Type()));
        var batch = synthesizer.Synthesize([colour, colour], [Expression.Surprise, Expression.Anger]);
        Assert.Equal(2, batch.Count);
        Assert.Equal(0, Cv2.Norm(batch[0], drawn, NormTypes.L1));   // batching does not change the drawing
        var unknown = Assert.Throws<ArgumentException>(() => synthesizer.Synthesize(colour, Expression.Contempt));
        Assert.Contains("does not draw contempt", unknown.Message);
        Assert.DoesNotContain(Expression.Contempt, synthesizer.Expressions);
        Assert.Empty(synthesizer.Synthesize([], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => synthesizer.Synthesize([colour], [Expression.Surprise], batchSize: 0));
        foreach (var m in batch) m.Dispose();
    }

    [Fact]
    public void Evaluate_synthesis_computes_every_metric_on_tiny_models_and_refuses_a_model_that_saw_a_test_subject()
    {
        using var dir = new TempDir();
        string data = TinyCkPlus(dir);
        string generator = TrainTiny(dir, data, "fersnet", "gen", "--decoder", "skip");
        string classifier = TrainTiny(dir, data, "single", "judge");
        string json = dir.Combine("synthesis.json"), notebook = dir.Combine("RESULTS.md");
        string[] JudgeFolders() => Directory.GetDirectories(Path.GetTempPath(), "fersnet-face-judge-*");
        var judgeFoldersBefore = JudgeFolders();
        var result = CliRunner.Run("evaluate-synthesis", "--checkpoint", generator, "--classifier", classifier, "--data", data,
            "--before", generator, "--out", dir.Combine("grids"), "--json", json, "--notebook", notebook,
            "--face-judge", Path.Combine(TestPaths.RepoRoot, "tools", "face-judge"));
        Assert.True(result.ExitCode == 0, result.Output);

        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var metrics = document.RootElement.GetProperty("metrics");
        var scores = metrics.GetProperty("scores").EnumerateArray().ToArray();
        Assert.Equal(["anger", "happiness", "surprise", "all"], scores.Select(s => s.GetProperty("target").GetString()));
        Assert.All(scores, s => Assert.InRange(s.GetProperty("score").GetDouble(), 0, 1));
        Assert.All(scores, s => Assert.InRange(s.GetProperty("realAccuracy").GetDouble(), 0, 1));
        var truth = metrics.GetProperty("truth").EnumerateArray().ToArray();
        Assert.Equal("all", truth[^1].GetProperty("target").GetString());
        foreach (var t in truth)
            foreach (var field in new[] { "redrawnL1", "inputL1", "meanFaceL1", "redrawnSsim", "inputSsim", "meanFaceSsim" })
                Assert.True(double.IsFinite(t.GetProperty(field).GetDouble()), field);
        Assert.True(metrics.GetProperty("frechetRedrawn").GetDouble() >= -1e-6);
        Assert.True(metrics.GetProperty("frechetRealTrain").GetDouble() >= -1e-6);
        Assert.Equal(2, metrics.GetProperty("testSubjects").GetInt32());
        Assert.True(File.Exists(dir.Combine("grids", "grid.png")) && File.Exists(dir.Combine("grids", "grid-before.png")));
        // face-api.js's nets on the same faces: every target and all (what they see is checked on real faces below).
        var judged = document.RootElement.GetProperty("faceJudge").GetProperty("scores").EnumerateArray().ToDictionary(s => s.GetProperty("target").GetString()!);
        Assert.Equal(["anger", "happiness", "surprise", "all"], judged.Keys);
        foreach (var field in new[] { "expressionSeen", "realExpressionSeen", "personRecognised", "inputRecognised", "othersMatched", "identified" })
            Assert.All(judged.Values, s => Assert.InRange(s.GetProperty(field).GetDouble(), 0, 1));
        Assert.Empty(JudgeFolders().Except(judgeFoldersBefore));   // the faces handed to the judge are deleted
        string section = File.ReadAllText(notebook);
        Assert.Contains("face-api.js", section);
        Assert.Contains("<!-- BEGIN generated: synthesis -->", section);
        Assert.Contains("evaluate-synthesis", section);
        // Console and notebook draw the same tables: the overall row's L1 in both, the total bold in the notebook.
        string allL1 = truth[^1].GetProperty("redrawnL1").GetDouble().ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(allL1, result.Output);
        Assert.Contains($"| **all** | {truth[^1].GetProperty("pairs").GetInt32()} | {allL1} |", section);

        // A classifier trained on every subject has seen the test subjects: refused, on one line.
        string leaky = TrainTiny(dir, data, "single", "leaky", "--val-split", "0");
        var refused = CliRunner.Run("evaluate-synthesis", "--checkpoint", generator, "--classifier", leaky, "--data", data, "--out", dir.Combine("grids"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("test subjects", refused.Output);
    }

    [Fact]
    public void A_text_table_is_one_table_for_notebook_and_console_with_the_total_in_bold()
    {
        var table = new Fersnet.Lab.Reporting.TextTable(["target", "score"], [["anger", "50.0%"], ["all", "[60.0%]"]]);
        Assert.Equal("| target | score |\n|---|---|\n| anger | 50.0% |\n| **all** | [60.0%] |\n", table.ToMarkdown().ReplaceLineEndings("\n"));
        var written = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(written), Ansi = Spectre.Console.AnsiSupport.No });
        console.Write(Fersnet.Cli.ConsoleTables.From(table));   // cells are text, not markup: the brackets stay
        Assert.Contains("[60.0%]", written.ToString());
        Assert.Contains("anger", written.ToString());
        Assert.Throws<ArgumentException>(() => new Fersnet.Lab.Reporting.TextTable(["a", "b"], [["only one"]]).ToMarkdown());
    }

    [Fact]
    public void The_face_judge_sees_real_ck_plus_faces_as_people_and_expressions()
    {
        // A "generator" that leaves every face as it is, on real CK+ faces of three subjects: the nets must see the real
        // expressions and call the unchanged face the same person as it is as the input (a broken hand-over of the
        // pixels, e.g. inverted or mis-scaled, would not), and must not see the target in faces that do not show it.
        using var faces = FaceDataLoader.Load(DatasetReader.Read(TestPaths.CkPlus), 48);
        string[] subjects = ["S010", "S011", "S014"];
        var test = Enumerable.Range(0, faces.Count).Where(i => subjects.Contains(Splits.GroupOf(faces.Samples[i]))).ToArray();
        var faceLabels = faces.Labels.data<long>().ToArray();
        var pairs = test.SelectMany(i => Enumerable.Range(0, faces.LabelSet.Count).Where(t => t != faceLabels[i]).Select(t => (Face: i, Target: t))).ToArray();
        using var unchanged = new RedrawnFaces(pairs, faces.Images.index_select(0, tensor(pairs.Select(p => (long)p.Face).ToArray())));
        var judgement = FaceApiJudge.Run(Path.Combine(TestPaths.RepoRoot, "tools", "face-judge"), faces, test, unchanged);
        var all = judgement.Scores[^1];
        Assert.True(all.RealExpressionSeen >= 0.6, $"real faces: {all}");
        Assert.True(all.ExpressionSeen < all.RealExpressionSeen - 0.3, $"unchanged faces seen as their target: {all}");
        Assert.True(all.IdentityPairs > 0 && all.PersonRecognised == all.InputRecognised && all.InputRecognised >= 0.6, all.ToString());
        Assert.True(all.Identified >= 0.6, all.ToString());
    }

    [Fact]
    public void The_face_judge_scores_expressions_same_person_false_matches_and_identification()
    {
        // Subjects A (faces 0, 1) and B (faces 2, 3); classes anger (0) and happiness (1). A's descriptors sit at 0, B's at 1.
        var labels = new LabelSet([Expression.Anger, Expression.Happiness]);
        int[] faceLabels = [0, 1, 0, 1];
        string[] subjects = ["S001", "S001", "S002", "S002"];
        JudgedFace Face(float at, string expression) => new([at, 0, 0], new Dictionary<string, double> { ["angry"] = expression == "angry" ? 0.9 : 0.05, ["happy"] = expression == "happy" ? 0.9 : 0.05, ["sad"] = expression == "sad" ? 0.9 : 0.05 });
        var real = new Dictionary<int, JudgedFace> { [0] = Face(0, "angry"), [1] = Face(0, "happy"), [2] = Face(1, "angry"), [3] = Face(1, "sad") };
        (int, int)[] pairs = [(0, 1), (1, 0), (2, 1), (3, 0)];
        // A → happy: A, smiling. A → angry: drawn as B. B → happy: B, but sad. B → angry: B, angry.
        JudgedFace[] drawn = [Face(0, "happy"), Face(1, "angry"), Face(1, "sad"), Face(1, "angry")];
        var judgement = FaceApiJudge.Score(labels, faceLabels, subjects, [0, 1, 2, 3], pairs, real, drawn);
        var byTarget = judgement.Scores.ToDictionary(s => s.Target);
        Assert.Equal(["anger", "happiness", "all"], byTarget.Keys);
        var anger = byTarget["anger"];
        Assert.Equal((2, 1.0, 2, 1.0), (anger.Drawn, anger.ExpressionSeen!.Value, anger.Real, anger.RealExpressionSeen!.Value));
        Assert.Equal((2, 0.5, 1.0), (anger.IdentityPairs, anger.PersonRecognised!.Value, anger.InputRecognised!.Value));
        Assert.Equal((0.5, 0.0), (anger.OthersMatched!.Value, anger.InputOthersMatched!.Value));   // A drawn as B matches B's real face
        Assert.Equal((0.5, 1.0), (anger.Identified!.Value, anger.InputIdentified!.Value));
        var happiness = byTarget["happiness"];
        Assert.Equal((0.5, 0.5), (happiness.ExpressionSeen!.Value, happiness.RealExpressionSeen!.Value));   // B's real "happy" face reads sad
        Assert.Equal(1.0, happiness.PersonRecognised!.Value);
        Assert.Equal(0.75, byTarget["all"].ExpressionSeen!.Value);
        Assert.Equal(0.75, byTarget["all"].PersonRecognised!.Value);
        Assert.True(judgement.PersonGoalMet);
        Assert.True(judgement.ExpressionGoalMet);
    }

    [Fact]
    public void Ssim_is_1_for_identical_images_and_the_frechet_distance_0_for_identical_sets()
    {
        using var scope = NewDisposeScope();
        var a = rand(3, 1, 24, 24) * 2 - 1;
        Assert.Equal(1.0, Fersnet.Evaluation.ImageSimilarity.Ssim(a, a).min().item<float>(), 4);
        Assert.True(Fersnet.Evaluation.ImageSimilarity.Ssim(a, -a).max().item<float>() < 0.5);
        var features = randn(200, 5);
        Assert.Equal(0, SynthesisEvaluation.Frechet(features, features), 3);
        Assert.True(SynthesisEvaluation.Frechet(features, features + 1) > 4.9);   // a shift of 1 in 5 dimensions: 5
    }

    [Fact]
    public void The_paired_structure_term_is_zero_for_the_reference_itself_and_counts_only_paired_faces()
    {
        using var scope = NewDisposeScope();
        var reference = rand(4, 1, 24, 24) * 2 - 1;
        var hasReference = tensor(new float[] { 1, 1, 0, 0 });
        var drawn = reference.clone();
        drawn[2] = -reference[2];                                                     // unpaired faces may be anything
        drawn[3] = zeros(1, 24, 24);
        Assert.Equal(0f, Losses.MaskedStructuralDissimilarity(drawn, reference, hasReference).item<float>(), 4);
        var marked = reference.clone();
        marked[0, 0, 10, 10] = -1f;                                                   // one dark dot on a paired face
        var image = marked.requires_grad_();
        var loss = Losses.MaskedStructuralDissimilarity(image, reference, hasReference);
        Assert.True(loss.item<float>() > 0);
        loss.backward();
        var perFace = image.grad!.abs().sum([1, 2, 3]).data<float>().ToArray();
        Assert.True(perFace[0] > 0, "the term must reach the marked paired face");
        Assert.Equal([0f, 0f], perFace[2..]);                                         // unpaired: no gradient
    }
}
