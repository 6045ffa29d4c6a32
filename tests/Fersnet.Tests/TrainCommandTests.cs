using System.Text.Json;
using Fersnet.Data;
using Fersnet.Training;

namespace Fersnet.Tests;

public class TrainCommandTests
{
    [Fact]
    public void Train_resume_and_evaluate_on_ckplus()
    {
        using var dir = new TempDir();
        string run = dir.Combine("run");
        var trained = CliRunner.Run("train", "--data", TestPaths.CkPlus, "--model", "single", "--width", "8", "--epochs", "1", "--out", run);
        Assert.True(trained.ExitCode == 0, trained.Output);
        Assert.Contains("classes: anger, contempt, disgust, fear, happiness, sadness, surprise", trained.Output);
        Assert.Contains("best validation accuracy", trained.Output);
        foreach (var file in new[] { "last.ckpt", "best.ckpt", "metrics.jsonl", "curves.png" })
            Assert.True(File.Exists(Path.Combine(run, file)), $"{file} missing");

        var again = CliRunner.Run("train", "--data", TestPaths.CkPlus, "--model", "single", "--out", run);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("--resume", again.Output);

        var resumed = CliRunner.Run("train", "--resume", "--out", run, "--epochs", "2");
        Assert.True(resumed.ExitCode == 0, resumed.Output);
        Assert.Contains("from epoch 2 to 2", resumed.Output);
        Assert.Equal([1, 2], RunFiles.ReadMetrics(Path.Combine(run, "metrics.jsonl")).Select(m => m.Epoch));

        var evaluated = CliRunner.Run("evaluate", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data", TestPaths.CkPlus, "--out", dir.Combine("eval"));
        Assert.True(evaluated.ExitCode == 0, evaluated.Output);
        Assert.Matches(@"accuracy \d+\.\d\d%, macro-F1 \d+\.\d\d%, 981 images", evaluated.Output);
        using var report = JsonDocument.Parse(File.ReadAllText(dir.Combine("eval", "report.json")));
        var root = report.RootElement.GetProperty("report");
        Assert.Equal(981, root.GetProperty("count").GetInt32());
        Assert.Equal(7, root.GetProperty("confusion").GetArrayLength());
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.True(new FileInfo(dir.Combine("eval", "confusion.png")).Length > 1000);
        Assert.Equal(0, report.RootElement.GetProperty("shift").GetInt32());
        Assert.Equal(Environment.ProcessorCount, report.RootElement.GetProperty("provenance").GetProperty("cores").GetInt32());

        // Test-time views: the face, its mirror and four shifts of each, averaged; the report says which views it read.
        var viewed = CliRunner.Run("evaluate", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data", TestPaths.CkPlus, "--mirror", "--shift", "2", "--out", dir.Combine("views"));
        Assert.True(viewed.ExitCode == 0, viewed.Output);
        using var views = JsonDocument.Parse(File.ReadAllText(dir.Combine("views", "report.json")));
        Assert.True(views.RootElement.GetProperty("mirror").GetBoolean());
        Assert.Equal(2, views.RootElement.GetProperty("shift").GetInt32());
        Assert.Equal(981, views.RootElement.GetProperty("report").GetProperty("count").GetInt32());
        var tooFar = CliRunner.Run("evaluate", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data", TestPaths.CkPlus, "--shift", "40", "--out", dir.Combine("far"));
        Assert.Equal(1, tooFar.ExitCode);
        Assert.Equal("error: a shift of 40 pixels is out of range: 0 to 23 for 48-pixel faces", tooFar.Output.Trim());
    }

    [Fact]
    public void The_recognition_levers_reach_the_saved_configs_and_a_deeper_64_pixel_model_trains()
    {
        using var dir = new TempDir();
        string data = Fixtures.TinyCkPlus(dir.Combine("ck"));
        var trained = CliRunner.Run("train", "--data", data, "--model", "single", "--epochs", "1", "--batch-size", "8", "--width", "8",
            "--image-size", "64", "--convs-per-block", "3", "--erase", "0.5", "--label-smoothing", "0", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, trained.Output);
        Assert.Contains("at 64px", trained.Output);
        string checkpoint = dir.Combine("run", "last.ckpt");
        var (header, _) = Checkpoint.Load(checkpoint);
        Assert.Equal(64, header.Model.ImageSize);
        Assert.Equal(3, header.Model.BlockConvs);
        Assert.Equal(new RandomErasing(0.5), header.Train.Augment.Erasing);
        Assert.Equal(0, header.Train.LabelSmoothing);
        Assert.True(double.IsFinite(header.History[^1].TrainLoss));
        // A usage mistake is one line and exit 2.
        var wrong = CliRunner.Run("train", "--data", data, "--model", "single", "--image-size", "50", "--out", dir.Combine("wrong"));
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("multiple of 16", wrong.Output);
        Assert.DoesNotContain("   at ", wrong.Output);
        var shallow = CliRunner.Run("train", "--data", data, "--model", "single", "--convs-per-block", "1", "--out", dir.Combine("wrong"));
        Assert.Equal(2, shallow.ExitCode);
        Assert.Contains("convolutions per block must be at least 2", shallow.Output);
    }

    [Fact]
    public void The_discriminator_learning_rate_reaches_the_saved_config()
    {
        using var dir = new TempDir();
        string data = Fixtures.TinyCkPlus(dir.Combine("ck"));
        var trained = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--decoder", "skip", "--epochs", "1", "--batch-size", "8",
            "--width", "8", "--d-lr", "1e-3", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, trained.Output);
        var (header, _) = Checkpoint.Load(dir.Combine("run", "last.ckpt"));
        Assert.Equal(1e-3, header.Train.DiscriminatorLearningRate);
        Assert.Equal(2e-4, new TrainConfig().DiscriminatorLearningRate);
        var wrong = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--d-lr", "0", "--out", dir.Combine("wrong"));
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("learning rates must be positive", wrong.Output);
    }

    [Fact]
    public void The_paired_and_mask_weights_and_split_seed_reach_the_saved_config()
    {
        using var dir = new TempDir();
        string data = Fixtures.TinyCkPlus(dir.Combine("ck"));
        var trained = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--decoder", "skip", "--epochs", "1", "--batch-size", "8",
            "--width", "8", "--paired-share", "0.8", "--paired-weight", "12", "--paired-ssim-weight", "3", "--mask-weight", "0.05", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, trained.Output);
        var (header, _) = Checkpoint.Load(dir.Combine("run", "last.ckpt"));
        Assert.Equal(12, header.Train.Losses.Paired);
        Assert.Equal(3, header.Train.Losses.PairedStructure);
        Assert.Equal(0.05, header.Train.Losses.MaskSparsity);
        Assert.True(header.History[^1].Terms["paired_ssim"] > 0);
        Assert.Equal((1, 1), (header.Train.Seed, header.Data!.SplitSeed));
        // --split-seed keeps the held-out subjects while --seed draws new training noise.
        var reseeded = CliRunner.Run("train", "--data", data, "--model", "single", "--epochs", "1", "--batch-size", "8", "--width", "8",
            "--seed", "2", "--split-seed", "1", "--out", dir.Combine("reseeded"));
        Assert.True(reseeded.ExitCode == 0, reseeded.Output);
        var (again, _) = Checkpoint.Load(dir.Combine("reseeded", "last.ckpt"));
        Assert.Equal((2, 1), (again.Train.Seed, again.Data!.SplitSeed));
        Assert.Equal(5, new LossWeights().Resolved().Paired);
        var alone = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--paired-weight", "12", "--out", dir.Combine("wrong"));
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("need paired targets", alone.Output);
        var structureAlone = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--paired-ssim-weight", "1", "--out", dir.Combine("wrong2"));
        Assert.Equal(2, structureAlone.ExitCode);
    }

    [Fact]
    public void A_judge_reaches_the_saved_config_and_its_term_the_history()
    {
        using var dir = new TempDir();
        string data = Fixtures.TinyCkPlus(dir.Combine("ck"));
        var judge = CliRunner.Run("train", "--data", data, "--model", "single", "--epochs", "1", "--batch-size", "8", "--width", "8", "--out", dir.Combine("judge"));
        Assert.True(judge.ExitCode == 0, judge.Output);
        string judgePath = dir.Combine("judge", "best.ckpt");
        var trained = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--decoder", "skip", "--epochs", "1", "--batch-size", "8",
            "--width", "8", "--judge", judgePath, "--judge-weight", "2", "--judge-blur", "1", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, trained.Output);
        var (header, _) = Checkpoint.Load(dir.Combine("run", "last.ckpt"));
        Assert.Equal(judgePath, header.Train.JudgeFrom);
        Assert.Equal(2, header.Train.Losses.Judge);
        Assert.Equal(1, header.Train.JudgeBlur);
        Assert.True(header.History[^1].Terms["g_judge"] > 0);

        var weightOnly = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--judge-weight", "1", "--out", dir.Combine("wrong"));
        Assert.Equal(2, weightOnly.ExitCode);
        Assert.Contains("needs a judge", weightOnly.Output);
        var missing = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--judge", dir.Combine("none.ckpt"), "--out", dir.Combine("missing"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("none.ckpt: does not exist", missing.Output);
        Assert.DoesNotContain("   at ", missing.Output);
    }

    [Fact]
    public void Export_keeps_the_weights_a_warm_start_reads_and_nothing_a_resume_needs()
    {
        using var dir = new TempDir();
        string data = Fixtures.TinyCkPlus(dir.Combine("ck"));
        var trained = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--decoder", "skip", "--epochs", "1", "--batch-size", "8",
            "--width", "8", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, trained.Output);
        string last = dir.Combine("run", "last.ckpt"), exported = dir.Combine("models", "small.ckpt");

        var export = CliRunner.Run("export", "--checkpoint", last, "--out", exported);
        Assert.True(export.ExitCode == 0, export.Output);
        Assert.Contains("model and discriminator weights", export.Output);
        var (lastHeader, lastSections) = Checkpoint.Load(last);
        var (header, sections) = Checkpoint.Load(exported);
        Assert.Equal(["discriminator", "model"], sections.Keys.Order());
        Assert.Equal(lastSections["model"], sections["model"]);
        Assert.Equal(lastSections["discriminator"], sections["discriminator"]);
        Assert.Equal(lastHeader.Epoch, header.Epoch);
        Assert.True(new FileInfo(exported).Length < new FileInfo(last).Length / 2);

        // It warm-starts generator and discriminator alike, but is not a run to resume.
        var warm = CliRunner.Run("train", "--data", data, "--model", "fersnet", "--decoder", "skip", "--epochs", "1", "--batch-size", "8",
            "--width", "8", "--init", exported, "--out", dir.Combine("warm"));
        Assert.True(warm.ExitCode == 0, warm.Output);
        Assert.Contains("(discriminator too)", warm.Output);
        using (Trainer.Resume(last)) { }   // the run itself resumes (its saved config holds the resolved paired weight, share 0)
        var resume = Assert.Throws<CheckpointException>(() => Trainer.Resume(exported));
        Assert.Contains("small.ckpt: section 'optimizer' is missing", resume.Message);

        var missing = CliRunner.Run("export", "--checkpoint", dir.Combine("none.ckpt"), "--out", dir.Combine("x.ckpt"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("none.ckpt: does not exist", missing.Output);
        Assert.Equal(2, CliRunner.Run("export", "--checkpoint", last).ExitCode);
        Assert.Equal(2, CliRunner.Run("export", "--checkpoint", last, "--out", last).ExitCode);
    }

    [Fact]
    public void Train_without_validation_data_says_it_selected_on_training_accuracy()
    {
        using var dir = new TempDir();
        var trained = CliRunner.Run("train", "--data", TestPaths.CkPlus, "--model", "single", "--width", "8", "--epochs", "1", "--val-split", "0", "--out", dir.Combine("run"));
        Assert.True(trained.ExitCode == 0, trained.Output);
        Assert.Contains("validation 0,", trained.Output);
        Assert.Contains("best training accuracy (no validation data)", trained.Output);
    }

    [Fact]
    public void Evaluate_reports_a_damaged_checkpoint_by_name()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Combine("bad.ckpt"), "not a checkpoint");
        var result = CliRunner.Run("evaluate", "--checkpoint", dir.Combine("bad.ckpt"), "--data", TestPaths.CkPlus);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bad.ckpt: is not a Fersnet checkpoint", result.Output);
    }
}
