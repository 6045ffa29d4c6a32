using System.Text.Json;
using Fersnet.Data;
using Fersnet.Evaluation;
using Fersnet.Imaging;
using Fersnet.Models;
using Fersnet.Training;
using Fersnet.Lab.Experiments;
using Fersnet.Serialization;

namespace Fersnet.Tests;

public class ExperimentTests
{
    [Fact]
    public void Two_fold_one_epoch_ablation_end_to_end_and_resumable()
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("ablation"), notebook = dir.Combine("RESULTS.md");
        File.WriteAllText(notebook, "# Results\n\nHand-written notes stay.\n");
        string[] args = ["experiment", "--data", TestPaths.CkPlus, "--folds", "2", "--epochs", "1", "--width", "8",
            "--subjects", "12", "--variants", "single,hard,fersnet", "--out", outDir, "--notebook", notebook, "--name", "tiny"];
        var first = CliRunner.Run(args);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("6 training(s) finished", first.Output);

        // Results: one line per (variant, fold), every test image once per variant, no subject on both sides.
        var lines = File.ReadAllLines(Path.Combine(outDir, "results.jsonl")).Select(l => JsonSerializer.Deserialize<FoldResult>(l, FersnetJson.Options)!).ToArray();
        Assert.Equal(6, lines.Length);
        var samples = DatasetReader.Read(TestPaths.CkPlus).Samples;
        var subjects = samples.Select(s => s.Subject).Distinct().Order(StringComparer.Ordinal).Take(12).ToHashSet();
        var subset = samples.Where(s => subjects.Contains(s.Subject)).ToArray();
        foreach (var variant in new[] { "single", "hard", "fersnet" })
        {
            var runs = lines.Where(l => l.Variant == variant).ToArray();
            Assert.Equal([0, 1], runs.Select(r => r.Fold).Order());
            Assert.Equal(subset.Length, runs.Sum(r => r.TestCount));
            Assert.Equal(subset.Length, runs.SelectMany(r => r.TestIndices).Distinct().Count());
            foreach (var run in runs)
            {
                var testSubjects = run.TestIndices.Select(i => subset[i].Subject).ToHashSet();
                var otherFold = runs.Single(r => r.Fold != run.Fold);
                Assert.DoesNotContain(otherFold.TestIndices, i => testSubjects.Contains(subset[i].Subject));
                Assert.Equal(run.TestCount, run.Actual.Length);
                Assert.Equal(run.TestCount + run.TrainCount + run.ValidationCount, subset.Length);
                Assert.InRange(run.TestAccuracy, 0, 1);
                Assert.InRange(run.MirroredTestAccuracy!.Value, 0, 1);
                Assert.Equal(run.TestCount, run.MirroredPredicted!.Length);
            }
        }
        Assert.NotNull(lines.First(l => l.Variant == "fersnet").MeanGates);

        // Report: parses, has the fields the issue names, figures exist.
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")));
        var fersnet = report.RootElement.GetProperty("variants").GetProperty("fersnet");
        foreach (var field in new[] { "meanAccuracy", "stdAccuracy", "pooledAccuracy", "macroF1", "folds" })
            Assert.True(fersnet.TryGetProperty(field, out _), $"report lacks {field}");
        Assert.Equal(2, fersnet.GetProperty("folds").GetInt32());
        Assert.True(report.RootElement.GetProperty("complete").GetBoolean());
        foreach (var png in new[] { "variants.png", "confusion-single.png", "confusion-hard.png", "confusion-fersnet.png" })
            Assert.True(File.Exists(Path.Combine(outDir, png)), $"{png} missing");
        var text = File.ReadAllText(notebook);
        Assert.Contains("Hand-written notes stay.", text);
        Assert.Contains("<!-- BEGIN generated: tiny -->", text);
        Assert.Contains("| fersnet | 2/2 |", text);

        // Rerun: nothing left to train, the generated section is replaced, not duplicated.
        var second = CliRunner.Run(args);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("0 training(s) finished", second.Output);
        Assert.Equal(6, File.ReadAllLines(Path.Combine(outDir, "results.jsonl")).Length);
        Assert.Equal(1, File.ReadAllText(notebook).Split("<!-- BEGIN generated: tiny -->").Length - 1);

        // Paired with itself on the same folds: every difference is zero, every fold a tie.
        var paired = CliRunner.Run([.. args, "--report-only", "--compare", Path.Combine(outDir, "results.jsonl")]);
        Assert.True(paired.ExitCode == 0, paired.Output);
        Assert.Contains("fersnet vs single", paired.Output);
        using (var pairedReport = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))))
        {
            var comparisons = pairedReport.RootElement.GetProperty("comparisons").EnumerateArray().ToArray();
            Assert.Equal(3 + 3 + 9, comparisons.Length);              // with each other, mirror-averaged vs plain, then with the file's
            Assert.Equal(["hard vs single", "fersnet vs single", "fersnet vs hard"],
                comparisons.Take(3).Select(c => $"{c.GetProperty("variant").GetString()} vs {c.GetProperty("baseline").GetString()}"));
            Assert.All(comparisons.Take(6), c => Assert.Equal(PairedComparison.SameExperiment, c.GetProperty("baselineSource").GetString()));
            Assert.Equal(["single (mirror-averaged) vs single", "hard (mirror-averaged) vs hard", "fersnet (mirror-averaged) vs fersnet"],
                comparisons.Skip(3).Take(3).Select(c => $"{c.GetProperty("variantLabel").GetString()} vs {c.GetProperty("baselineLabel").GetString()}"));
            var self = comparisons.Single(c => c.GetProperty("variantLabel").GetString() == "hard" && c.GetProperty("baselineLabel").GetString() == "hard");
            Assert.Equal(0, self.GetProperty("meanDifference").GetDouble());
            Assert.Equal(2, self.GetProperty("ties").GetInt32());
        }
        Assert.Contains("| hard | hard (", File.ReadAllText(notebook));
        // The recorded command is the one that produces the figures: how a sitting stops is not part of it.
        Assert.Contains($"--name tiny --compare {Path.Combine(outDir, "results.jsonl")}", File.ReadAllText(notebook));
        Assert.DoesNotContain("--report-only", File.ReadAllText(notebook));
        Assert.Contains("| mirror-averaged mean |", File.ReadAllText(notebook));

        // A changed budget does not silently mix with the old results.
        var changed = CliRunner.Run([.. args.Select(a => a == "1" ? "2" : a)]);
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("another configuration", changed.Output);
    }

    [Fact]
    public void A_warm_started_experiment_checks_its_checkpoints_first_and_starts_each_variant_from_its_own()
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("warm"), init = dir.Combine("pretrained-{variant}.ckpt");
        string[] args = ["experiment", "--data", TestPaths.CkPlus, "--folds", "2", "--epochs", "1", "--width", "8",
            "--subjects", "12", "--variants", "single,fersnet", "--init", init, "--out", outDir, "--name", "warm", "--notebook", dir.Combine("RESULTS.md")];

        var missing = CliRunner.Run(args);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("pretrained-single.ckpt", missing.Output);
        Assert.False(File.Exists(Path.Combine(outDir, "results.jsonl")) && File.ReadAllLines(Path.Combine(outDir, "results.jsonl")).Length > 0);

        // Pretrained on another label set (FER2013's neutral instead of CK+'s contempt), at the experiment's size.
        var pretrainLabels = new LabelSet([Expression.Neutral, Expression.Anger, Expression.Happiness, Expression.Surprise]);
        foreach (var kind in new[] { ModelKind.Single, ModelKind.Fersnet })
        {
            using var source = Trainer.Create(new ModelConfig(kind, 48, 8, false, pretrainLabels.Count), new TrainConfig { Epochs = 1 }, pretrainLabels);
            source.SaveCheckpoint(init.Replace("{variant}", kind.ToString().ToLowerInvariant()));
        }
        var warm = CliRunner.Run(args);
        Assert.True(warm.ExitCode == 0, warm.Output);
        Assert.Contains("4 training(s) finished", warm.Output);
        Assert.Contains("every fold starts from the weights of", File.ReadAllText(dir.Combine("RESULTS.md")));
    }

    [Fact]
    public void A_deeper_network_is_another_experiment_and_the_paper_block_keeps_older_fingerprints()
    {
        var skip = ModelConfig.Lite(ModelKind.Fersnet, 7) with { Decoder = SynthesisDecoder.Skip };
        ExperimentConfig With(ModelConfig model) => new("/data/ckplus48", 10, 1, model, 0.1, null, new TrainConfig());
        // The whole model config enters the fingerprint here (a skip decoder is not version 1's shape): the field must not.
        Assert.DoesNotContain("convsPerBlock", With(skip).FingerprintFields(), StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(With(skip).Fingerprint("fersnet"), With(skip with { ConvsPerBlock = 3 }).Fingerprint("fersnet"));
        var paperBlock = ModelConfig.Lite(ModelKind.Single, 7);
        Assert.DoesNotContain("\"version\"", With(paperBlock).FingerprintFields());                 // still version 1's fields
        Assert.NotEqual(With(paperBlock).Fingerprint("single"), With(paperBlock with { ConvsPerBlock = 3 }).Fingerprint("single"));
        Assert.Contains("width 16, 3 convolutions a block, seed 1", ExperimentNotebook.Budget(With(paperBlock with { ConvsPerBlock = 3 })));
        Assert.Contains("width 16, seed 1", ExperimentNotebook.Budget(With(paperBlock)));
    }

    [Fact]
    public void A_train_seed_redraws_the_trainings_on_the_same_folds()
    {
        using var dir = new TempDir();
        string[] Args(string name, params string[] extra) => ["experiment", "--data", TestPaths.CkPlus, "--folds", "2", "--epochs", "1", "--width", "8",
            "--subjects", "12", "--variants", "single", "--out", dir.Combine(name), "--name", name, .. extra];
        FoldResult[] Results(string name) => File.ReadAllLines(dir.Combine(name, "results.jsonl")).Select(l => JsonSerializer.Deserialize<FoldResult>(l, FersnetJson.Options)!).OrderBy(r => r.Fold).ToArray();

        Assert.Equal(0, CliRunner.Run(Args("first")).ExitCode);
        var reseeded = CliRunner.Run(Args("reseeded", "--train-seed", "5", "--notebook", dir.Combine("RESULTS.md")));
        Assert.True(reseeded.ExitCode == 0, reseeded.Output);

        var (first, second) = (Results("first"), Results("reseeded"));
        Assert.Equal(first.Select(r => r.TestIndices), second.Select(r => r.TestIndices));
        Assert.NotEqual(first[0].Fingerprint, second[0].Fingerprint);
        Assert.Contains("seed 1 (trainings: seed 5)", File.ReadAllText(dir.Combine("RESULTS.md")));
    }

    [Fact]
    public void Without_a_hold_out_every_training_subject_trains_and_the_last_epoch_is_tested()
    {
        using var dir = new TempDir();
        var run = CliRunner.Run(["experiment", "--data", TestPaths.CkPlus, "--folds", "2", "--epochs", "2", "--width", "8",
            "--subjects", "12", "--variants", "fersnet", "--synthesis-warmup", "1", "--val-split", "0", "--select-from", "1", "--ema", "0.9",
            "--out", dir.Combine("x"), "--name", "x", "--notebook", dir.Combine("RESULTS.md")]);
        Assert.True(run.ExitCode == 0, run.Output);

        var results = File.ReadAllLines(dir.Combine("x", "results.jsonl")).Select(l => JsonSerializer.Deserialize<FoldResult>(l, FersnetJson.Options)!).ToArray();
        Assert.Equal(2, results.Length);
        int images = results.Sum(r => r.TestCount);
        foreach (var r in results)
        {
            Assert.Equal(0, r.ValidationCount);
            Assert.Equal(images, r.TrainCount + r.TestCount);   // the other fold's subjects, all of them
            Assert.Equal(2, r.BestEpoch);
            Assert.Equal(8, r.MeanGates!.Count);             // read on the test faces: 4 depths, 2 directions
            Assert.All(r.MeanGates, z => Assert.InRange(z, 0, 1));
        }
        string notebook = File.ReadAllText(dir.Combine("RESULTS.md"));
        Assert.Contains("no hold-out: every training subject trains and the last epoch is tested", notebook);
        Assert.Contains("moving average of the weights (decay 0.9 per step)", notebook);
        Assert.Contains("on the test faces (no hold-out)", notebook);
    }

    [Fact]
    public void Fersnet_synth_and_its_control_fine_tune_the_folds_fersnet_on_real_and_synthetic_or_real_faces()
    {
        using var dir = new TempDir();
        string name = $"synth-{Guid.NewGuid():N}";
        string[] args = ["experiment", "--data", TestPaths.CkPlus, "--folds", "2", "--epochs", "2", "--width", "8", "--subjects", "12",
            "--synthesis-warmup", "1", "--variants", "fersnet,fersnet+synth,fersnet+tune", "--synthetic-epochs", "1",
            "--out", dir.Combine("x"), "--name", name, "--notebook", dir.Combine("RESULTS.md")];
        var run = CliRunner.Run(args);
        Assert.True(run.ExitCode == 0, run.Output);

        var results = File.ReadAllLines(dir.Combine("x", "results.jsonl")).Select(l => JsonSerializer.Deserialize<FoldResult>(l, FersnetJson.Options)!).ToArray();
        Assert.Equal(6, results.Length);
        string output = System.Text.RegularExpressions.Regex.Replace(run.Output, @"\s+", " ");   // the console wraps long lines
        foreach (var fold in new[] { 0, 1 })
        {
            var plain = results.Single(r => r.Variant == "fersnet" && r.Fold == fold);
            var synth = results.Single(r => r.Variant == "fersnet+synth" && r.Fold == fold);
            Assert.Equal(plain.TestIndices, synth.TestIndices);
            Assert.Equal((plain.TrainCount, plain.ValidationCount), (synth.TrainCount, synth.ValidationCount));
            // The fold's fersnet training is reused, not repeated: before fine-tuning it scores exactly as the fersnet row.
            Assert.Equal(plain.TestAccuracy, synth.FirstStageTestAccuracy);
            Assert.Null(plain.FirstStageTestAccuracy);
            Assert.NotEqual(plain.Fingerprint, synth.Fingerprint);
            // Seven CK+ expressions: every real face plus six re-drawn ones.
            Assert.Contains($"fersnet+synth fold {fold + 1}: {plain.TrainCount} real + {plain.TrainCount * 6} synthetic training faces", output);
            Assert.Equal(1, synth.BestEpoch);
            // The control: the same fold model, fine-tuned on the real faces alone for as many steps (7 epochs of 1/7 the faces).
            var tune = results.Single(r => r.Variant == "fersnet+tune" && r.Fold == fold);
            Assert.Equal(plain.TestAccuracy, tune.FirstStageTestAccuracy);
            Assert.Equal(plain.TestIndices, tune.TestIndices);
            Assert.InRange(tune.BestEpoch, 4, 7);
            Assert.DoesNotContain($"fersnet+tune fold {fold + 1}: {plain.TrainCount} real +", output);
        }
        Assert.Equal(4, output.Split("its finished training is reused").Length - 1);
        Assert.False(Directory.Exists(Path.Combine("runs", "experiments", name)) && Directory.EnumerateFileSystemEntries(Path.Combine("runs", "experiments", name)).Any(),
            "the fold trainings' folders are left behind");
        Assert.True(File.Exists(dir.Combine("x", "synthesis-fersnet-synth-fold1.png")));
        string notebook = File.ReadAllText(dir.Combine("RESULTS.md"));
        Assert.Contains("fine-tuned on real + synthetic faces for 1 epochs at peak lr 0.0005", notebook);
        Assert.Contains("| fersnet+synth | fersnet+synth before fine-tuning (this experiment) | 2 |", notebook);
        Assert.Contains("| fersnet+tune | fersnet+tune before fine-tuning (this experiment) | 2 |", notebook);
        Assert.Contains("fersnet+tune (control): the same fine-tuning of the same fold models on the real faces alone, for 7 epochs", notebook);
        Assert.Contains("![synthesis](x/synthesis-fersnet-synth-fold1.png)", notebook);

        // Another fine-tuning budget is another configuration of fersnet+synth only.
        int epochsAt = Array.IndexOf(args, "--synthetic-epochs") + 1;
        var changed = CliRunner.Run([.. args.Select((a, i) => i == epochsAt ? "2" : a)]);
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("a 'fersnet+synth' result of another configuration", changed.Output);
    }

    private static FoldResult Fold(string variant, int fold, double accuracy, int[] testIndices) =>
        new(variant, fold, "f", 10, 2, testIndices.Length, 1, 0.5, accuracy, accuracy, 1, 100, null, testIndices, new int[testIndices.Length], new int[testIndices.Length], null, DateTime.UtcNow);

    [Theory]
    [InlineData(0.0133, "+1.33")]
    [InlineData(-0.0061, "-0.61")]
    [InlineData(-1e-17, "+0.00")]      // zero up to rounding error: no "-+0.00"
    [InlineData(-0.00004, "+0.00")]    // rounds to zero
    [InlineData(0.0, "+0.00")]
    public void Differences_print_in_points_with_one_sign(double fraction, string expected) =>
        Assert.Equal(expected, PairedComparison.SignedPoints(fraction));

    [Fact]
    public void Paired_comparison_uses_only_folds_with_the_same_test_images()
    {
        var ours = new[] { Fold("fersnet", 0, 0.90, [1, 2]), Fold("fersnet", 1, 0.80, [3, 4]), Fold("fersnet", 2, 0.70, [5, 6]) };
        var baseline = new[] { Fold("single", 0, 0.85, [1, 2]), Fold("single", 1, 0.85, [3, 4]), Fold("single", 2, 0.10, [5, 7]) };
        var comparison = Assert.Single(PairedComparison.Between(ours, baseline, "base.jsonl"));
        Assert.Equal([0, 1], comparison.Folds);                       // fold 2 tested other images: not paired
        Assert.Equal(0.85, comparison.MeanAccuracy, 9);
        Assert.Equal(0.85, comparison.BaselineMeanAccuracy, 9);
        Assert.Equal([0.05, -0.05], comparison.Differences.Select(d => Math.Round(d, 9)));
        Assert.Equal(0, comparison.MeanDifference, 9);
        Assert.Equal(Math.Sqrt(0.005), comparison.StdDifference, 9);
        Assert.Equal((1, 0, 1), (comparison.Wins, comparison.Ties, comparison.Losses));
        // Two folds: t(0.975, 1) = 12.706, so the interval is ±12.706 · std / √2.
        Assert.Equal(12.706 * Math.Sqrt(0.005) / Math.Sqrt(2), comparison.Confidence95, 9);
        Assert.Equal(2.262, PairedComparison.StudentT975(9));
        Assert.Equal(1.96, PairedComparison.StudentT975(100));
    }

    [Fact]
    public void Variants_of_one_experiment_are_paired_with_those_before_them()
    {
        var results = new[]
        {
            Fold("single", 0, 0.80, [1, 2]), Fold("single", 1, 0.90, [3, 4]),
            Fold("hard", 0, 0.85, [1, 2]), Fold("hard", 1, 0.85, [3, 4]),
            Fold("fersnet", 0, 0.95, [1, 2]),                        // one fold so far
        };
        var comparisons = PairedComparison.Within(results, ["single", "hard", "fersnet"]);
        Assert.Equal([("hard", "single"), ("fersnet", "single"), ("fersnet", "hard")], comparisons.Select(c => (c.Variant, c.Baseline)));
        Assert.All(comparisons, c => Assert.Equal(PairedComparison.SameExperiment, c.BaselineSource));
        Assert.Equal([0.05, -0.05], comparisons[0].Differences.Select(d => Math.Round(d, 9)));
        Assert.Equal([0], comparisons[1].Folds);
        Assert.Equal(0.15, comparisons[1].MeanDifference, 9);
        Assert.Equal(0.10, comparisons[2].MeanDifference, 9);
    }

    [Fact]
    public void Results_recorded_before_mirror_averaging_still_read_and_pair()
    {
        var old = JsonSerializer.Deserialize<FoldResult>("""{"variant":"single","fold":0,"fingerprint":"f","trainCount":10,"validationCount":2,"testCount":2,"bestEpoch":1,"validationAccuracy":0.5,"testAccuracy":0.5,"testMacroF1":0.5,"seconds":1,"trainImagesPerSecond":100,"meanGates":null,"testIndices":[1,2],"actual":[0,1],"predicted":[0,0],"commit":null,"finishedUtc":"2026-11-28T00:00:00Z"}""", FersnetJson.Options)!;
        Assert.Null(old.MirroredTestAccuracy);
        Assert.Null(old.AccuracyOf(Measurement.Mirrored));
        Assert.DoesNotContain("mirrored", JsonSerializer.Serialize(old, FersnetJson.Options));

        var measured = old with { MirroredTestAccuracy = 1.0, MirroredPredicted = [0, 1] };
        var comparison = Assert.Single(PairedComparison.Mirrored([old, measured with { Fold = 1, TestIndices = [3, 4] }], ["single"]));
        Assert.Equal(("single", Measurement.Mirrored, "single", Measurement.Plain), (comparison.Variant, comparison.VariantMeasurement, comparison.Baseline, comparison.BaselineMeasurement));
        Assert.Equal("single (mirror-averaged)", comparison.VariantLabel);
        Assert.Equal([1], comparison.Folds);                            // only the fold that measured it
        Assert.Equal(0.5, comparison.MeanDifference, 9);
        var summary = Assert.Single(Experiment.Summarise([old, measured with { Fold = 1 }], new LabelSet([Expression.Anger, Expression.Happiness]), ["single"]));
        Assert.Null(summary.MirroredMeanAccuracy);                      // not every fold measured it
    }

    [Fact]
    public void Seeds_are_averaged_per_fold_before_the_variants_are_paired()
    {
        var labels = new LabelSet([Expression.Anger, Expression.Happiness]);
        IReadOnlyList<FoldResult> seed1 = [Fold("single", 0, 0.80, [1, 2]), Fold("single", 1, 0.90, [3, 4]), Fold("fersnet", 0, 0.90, [1, 2]), Fold("fersnet", 1, 0.90, [3, 4]), Fold("hard", 0, 0.5, [1, 2])];
        IReadOnlyList<FoldResult> seed2 = [Fold("single", 0, 0.90, [1, 2]), Fold("single", 1, 0.70, [3, 4]), Fold("fersnet", 0, 1.00, [1, 2])];
        var summary = SeedSummary.From("s", "cmd", [("a.jsonl", seed1), ("b.jsonl", seed2)], ["single", "hard", "fersnet"], labels);

        Assert.Equal(["single", "fersnet"], summary.Variants.Select(v => v.Variant));     // hard: not in every file
        Assert.Equal(["hard"], summary.NotInEveryFile);
        Assert.Contains("Left out (no fold that every file has): hard", summary.Markdown());
        var single = summary.Variants[0];
        Assert.Equal([0, 1], single.Folds);
        Assert.Equal([0.85, 0.80], single.SeedMeans.Select(a => Math.Round(a, 9)));
        Assert.Equal(0.825, single.MeanAccuracy, 9);
        Assert.Equal(Math.Sqrt(0.00125), single.SeedStd, 9);
        Assert.Equal([0.85, 0.80], single.FoldAccuracies.Select(a => Math.Round(a, 9)));
        var fersnet = summary.Variants[1];
        Assert.Equal([0], fersnet.Folds);                                                  // the folds every seed has
        Assert.Equal(0.95, fersnet.MeanAccuracy, 9);
        var pair = Assert.Single(summary.Comparisons);
        Assert.Equal(("fersnet", "single", 0.10), (pair.Variant, pair.Baseline, Math.Round(pair.MeanDifference, 9)));
        Assert.Contains("| single | 2 | 2 | 85.00, 80.00 | 82.50 ± 3.54 |", summary.Markdown());

        // Image by image: wrong in both seeds, in one, in none.
        IReadOnlyList<FoldResult> first = [Fold("single", 0, 0.5, [1, 2, 3]) with { Actual = [0, 1, 1], Predicted = [1, 0, 1] }];
        IReadOnlyList<FoldResult> second = [Fold("single", 0, 0.5, [1, 2, 3]) with { Actual = [0, 1, 1], Predicted = [1, 1, 1] }];
        var errors = Assert.Single(SeedSummary.From("e", "cmd", [("a", first), ("b", second)], ["single"], labels).Variants);
        Assert.Equal((3, 1, 2), (errors.TestImages, errors.WrongInEverySeed, errors.WrongInSomeSeed));
        var persistent = Assert.Single(errors.Persistent);
        Assert.Equal((1, 0, 1), (persistent.Index, persistent.Actual, persistent.MostSaid));
        Assert.Equal([1, 1], persistent.Predicted);

        IReadOnlyList<FoldResult> otherFolds = [Fold("single", 0, 0.9, [1, 5]), Fold("single", 1, 0.9, [3, 4])];
        var error = Assert.Throws<InvalidDataException>(() => SeedSummary.From("s", "cmd", [("a.jsonl", seed1), ("c.jsonl", otherFolds)], ["single"], labels));
        Assert.Contains("c.jsonl", error.Message);
        IReadOnlyList<FoldResult> twice = [Fold("single", 0, 0.9, [1, 2]), Fold("single", 0, 0.8, [1, 2])];
        var duplicate = Assert.Throws<InvalidDataException>(() => SeedSummary.From("s", "cmd", [("a.jsonl", seed1), ("d.jsonl", twice)], ["single"], labels));
        Assert.Contains("d.jsonl: fold 0 of 'single' is there 2 times", duplicate.Message);

        // A fine-tuned variant is also paired with its own first stage, both seed-averaged; only where every seed recorded it.
        IReadOnlyList<FoldResult> tuned1 = [Fold("fersnet+synth", 0, 0.80, [1, 2]) with { FirstStageTestAccuracy = 0.90 }, Fold("fersnet+synth", 1, 0.90, [3, 4]) with { FirstStageTestAccuracy = 0.90 }];
        IReadOnlyList<FoldResult> tuned2 = [Fold("fersnet+synth", 0, 0.90, [1, 2]) with { FirstStageTestAccuracy = 0.70 }, Fold("fersnet+synth", 1, 0.90, [3, 4])];
        var beforeAfter = Assert.Single(SeedSummary.From("t", "cmd", [("a", tuned1), ("b", tuned2)], ["fersnet+synth"], labels).Comparisons);
        Assert.Equal(("fersnet+synth", "fersnet+synth before fine-tuning"), (beforeAfter.VariantLabel, beforeAfter.BaselineLabel));
        Assert.Equal(Measurement.FirstStage, beforeAfter.BaselineMeasurement);
        Assert.Equal([0], beforeAfter.Folds);                                               // fold 1: seed 2 has no first stage
        Assert.Equal(0.05, beforeAfter.MeanDifference, 9);                                  // 0.85 after, 0.80 before
    }

    [Fact]
    public void A_baseline_of_several_seeds_is_averaged_fold_by_fold_before_pairing()
    {
        using var dir = new TempDir();
        var labels = new LabelSet([Expression.Anger, Expression.Happiness]);
        void Write(string name, params FoldResult[] results) =>
            File.WriteAllLines(dir.Combine(name), results.Select(r => JsonSerializer.Serialize(r, FersnetJson.Options)));
        Write("a.jsonl", Fold("single", 0, 0.80, [1, 2]), Fold("single", 1, 0.90, [3, 4]));
        Write("b.jsonl", Fold("single", 0, 0.90, [1, 2]), Fold("single", 1, 0.70, [3, 4]));
        Write("c.jsonl", Fold("single", 0, 0.90, [1, 5]));

        var averaged = ExperimentReport.ReadBaseline($"{dir.Combine("a.jsonl")}+{dir.Combine("b.jsonl")}", labels).OrderBy(r => r.Fold).ToArray();
        Assert.Equal([0.85, 0.80], averaged.Select(r => Math.Round(r.TestAccuracy, 9)));
        Assert.Equal([0, 1], averaged.Select(r => r.Fold));
        Assert.Equal(2, ExperimentReport.ReadBaseline(dir.Combine("a.jsonl"), labels).Count);   // one file: as it is

        // Paired with a new run, the differences are taken against the seed means.
        IReadOnlyList<FoldResult> ours = [Fold("fersnet", 0, 0.95, [1, 2]), Fold("fersnet", 1, 0.90, [3, 4])];
        var pair = Assert.Single(PairedComparison.Between(ours, averaged, "a + b"));
        Assert.Equal([0.10, 0.10], pair.Differences.Select(d => Math.Round(d, 9)));

        Assert.Contains("c.jsonl", Assert.Throws<InvalidDataException>(() => ExperimentReport.ReadBaseline($"{dir.Combine("a.jsonl")}+{dir.Combine("c.jsonl")}", labels)).Message);
        Assert.Contains("none.jsonl: baseline results file not found",
            Assert.Throws<InvalidDataException>(() => ExperimentReport.ReadBaseline($"{dir.Combine("a.jsonl")}+{dir.Combine("none.jsonl")}", labels)).Message);
    }

    [Fact]
    public void The_seeds_command_writes_its_notebook_section_and_refuses_a_single_file()
    {
        using var dir = new TempDir();
        string Write(string name, params FoldResult[] results)
        {
            string path = dir.Combine(name);
            // single gets the first image (an anger face) wrong in both seeds, calling it contempt.
            File.WriteAllLines(path, results.Select(r => JsonSerializer.Serialize(r with { Actual = [0, 1], Predicted = r.Variant == "single" ? [1, 1] : [0, 1] }, FersnetJson.Options)));
            return path;
        }
        string a = Write("a.jsonl", Fold("single", 0, 0.8, [1, 2]), Fold("fersnet", 0, 0.9, [1, 2]));
        string b = Write("b.jsonl", Fold("single", 0, 0.6, [1, 2]), Fold("fersnet", 0, 1.0, [1, 2]));
        string notebook = dir.Combine("RESULTS.md"), json = dir.Combine("seeds.json");

        var run = CliRunner.Run("seeds", "--data", TestPaths.CkPlus, "--results", a, "--results", b, "--name", "two-seeds", "--json", json, "--notebook", notebook,
            "--error-grids", dir.Combine("grids"));
        Assert.True(run.ExitCode == 0, run.Output);
        // The images wrong in every seed: named by confusion in the notebook and drawn, one picture per variant that has any.
        string grid = dir.Combine("grids", "wrong-every-seed-single.png");
        using (var drawn = OpenCvSharp.Cv2.ImRead(grid, OpenCvSharp.ImreadModes.Grayscale))
        using (var face = FaceDataLoader.Decode(DatasetReader.Read(TestPaths.CkPlus).Samples[1]))     // the test image both seeds got wrong
        using (var expected = FaceGrid.Canvas(face.Cols * FaceGrid.Scale, face.Rows * FaceGrid.Scale))
        {
            FaceGrid.Place(expected, face, 0, 0, face.Rows * FaceGrid.Scale);
            using var cell = new OpenCvSharp.Mat(drawn, new OpenCvSharp.Rect(0, 0, expected.Cols, expected.Rows));
            Assert.Equal(0, OpenCvSharp.Cv2.Norm(cell, expected, OpenCvSharp.NormTypes.INF));
        }
        Assert.False(File.Exists(dir.Combine("grids", "wrong-every-seed-fersnet.png")));
        Assert.Contains("fersnet vs single, seed-averaged", run.Output);
        var text = File.ReadAllText(notebook);
        Assert.Contains("<!-- BEGIN generated: two-seeds -->", text);
        Assert.Contains("| fersnet | 2 | 1 | 90.00, 100.00 | 95.00 ± 7.07 |", text);
        Assert.Contains("| 0 of 2 | 0 |", text);
        Assert.Contains("single: 1 image wrong in every seed, as true > said most often: anger > contempt 1.", text);
        Assert.Contains("![single: images wrong in every seed](grids/wrong-every-seed-single.png)", text);
        using var report = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(0.25, report.RootElement.GetProperty("comparisons")[0].GetProperty("meanDifference").GetDouble(), 9);

        var single = CliRunner.Run("seeds", "--data", TestPaths.CkPlus, "--results", a);
        Assert.Equal(2, single.ExitCode);
        Assert.Contains("at least twice", single.Output);
    }

    [Fact]
    public void Committed_results_keep_their_fingerprints()
    {
        // The notebook's command of a finished experiment finds every (variant, fold) done: nothing that enters the
        // fingerprint (the serialized training config among it) has changed under the committed results.
        using var dir = new TempDir();
        string results = dir.Combine("results.jsonl");
        File.Copy(Path.Combine(TestPaths.RepoRoot, "docs", "results", "ckplus-pretrained-sharp.jsonl"), results);
        var listed = CliRunner.Run("experiment", "--data", TestPaths.CkPlus, "--folds", "10", "--variants", "single,hard,fersnet", "--epochs", "30",
            "--synthesis-every", "2", "--synthesis-warmup", "3", "--no-synthesis-into-fer", "--init", "models/fer2013sharp-{variant}-lite.ckpt",
            "--out", dir.Combine("out"), "--results", results, "--list-jobs");
        Assert.True(listed.ExitCode == 0, listed.Output);
        Assert.DoesNotMatch(@"(?m)^(single|hard|fersnet):\d+", listed.Output);
        // A changed configuration is refused, so the check above can fail.
        var changed = CliRunner.Run("experiment", "--data", TestPaths.CkPlus, "--folds", "10", "--variants", "single", "--epochs", "30",
            "--synthesis-every", "2", "--synthesis-warmup", "3", "--no-synthesis-into-fer", "--init", "models/fer2013sharp-{variant}-lite.ckpt",
            "--erase", "0.5", "--out", dir.Combine("out"), "--results", results, "--list-jobs");
        Assert.Equal(1, changed.ExitCode);
        Assert.Contains("another configuration", changed.Output);
    }
}
