using Fersnet.Inference;
using Fersnet.Cli.Commands;
using Fersnet.Evaluation;
using Fersnet.Models;
using Fersnet.Training;

namespace Fersnet.Tests;

/// <summary>What a newcomer meets: progress lines, evaluate's warnings and skipped files.</summary>
public class CliNewcomerTests
{
    [Fact]
    public void Progress_lines_carry_the_time_left_in_the_epoch_and_the_run_and_do_not_depend_on_the_terminal()
    {
        var now = TimeSpan.Zero;
        var output = new StringWriter();
        var progress = new TrainingProgress(output, totalEpochs: 3, clock: () => now);
        var terms = new Dictionary<string, double> { ["fer"] = 1.5 };
        progress.Batch(new BatchProgress(0, 1, 10, 100, 0.5, terms));        // first line at once
        now = TimeSpan.FromSeconds(5);
        progress.Batch(new BatchProgress(0, 5, 10, 100, 0.5, terms));        // within the interval: quiet
        now = TimeSpan.FromSeconds(20);
        progress.Batch(new BatchProgress(0, 10, 10, 100, 0.5, terms));       // the epoch's last batch: 20 s an epoch
        progress.Batch(new BatchProgress(1, 1, 10, 100, 0.5, terms));        // epoch 2 starts (within the interval: quiet)
        now = TimeSpan.FromSeconds(35);
        progress.Batch(new BatchProgress(1, 5, 10, 100, 0.5, terms));        // epoch 2 half done after 15 s
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("epoch 1/3 batch 10/10 (100%) fer 1.500 acc 50.0% 100 img/s, epoch left 0:00, run left 0:40", lines[1]);
        Assert.Equal("epoch 2/3 batch 5/10 (50%) fer 1.500 acc 50.0% 100 img/s, epoch left 0:15, run left 0:35", lines[2]);
        Assert.Equal("1:02:03", TrainingProgress.Clock(new TimeSpan(1, 2, 3)));
    }

    [Fact]
    public void Every_command_prints_its_help_without_an_error()
    {
        // Walks the tree as a newcomer would: fersnet --help, then each command (and branch) it lists.
        var pending = new Queue<string[]>([[]]);
        var seen = new List<string>();
        while (pending.TryDequeue(out var path))
        {
            var result = CliRunner.Run([.. path, "--help"]);
            string name = string.Join(' ', path);
            Assert.True(result.ExitCode == 0, $"fersnet {name} --help: exit {result.ExitCode}: {result.Output}");
            Assert.DoesNotContain("error:", result.Output);
            Assert.Contains("USAGE:", result.Output);
            seen.Add(name);
            foreach (var command in ListedCommands(result.Output)) pending.Enqueue([.. path, command]);
        }
        Assert.Contains("evaluate", seen);
        Assert.Contains("data inspect", seen);
        Assert.True(seen.Count >= 15, string.Join(", ", seen));
    }

    /// <summary>The names under COMMANDS: in a help text (each at the start of a line indented by four spaces).</summary>
    private static IEnumerable<string> ListedCommands(string help)
    {
        var lines = help.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "COMMANDS:");
        if (start < 0) yield break;
        foreach (var line in lines.Skip(start + 1))
        {
            if (line.Length > 4 && line.StartsWith("    ", StringComparison.Ordinal) && line[4] != ' ')
                yield return line[4..].Split(' ', 2)[0];
        }
    }

    [Fact]
    public void Evaluate_warns_when_the_data_trained_the_checkpoint()
    {
        var header = new CheckpointHeader(ModelConfig.Lite(ModelKind.Single, 7), new TrainConfig(),
            new DataConfig("/data/fer2013", TrainSplits: ["PublicTest", "PrivateTest"]), [], 1, 0, 1, [], DateTime.UtcNow);
        Assert.Contains("PublicTest, PrivateTest", TrainingOverlap.Warning(header, "/data/fer2013/", "PrivateTest"));
        Assert.Null(TrainingOverlap.Warning(header, "/data/fer2013", "Training"));
        Assert.Null(TrainingOverlap.Warning(header, "/data/other", "PrivateTest"));
        var ck = header with { Data = new DataConfig("/data/ckplus48") };
        Assert.Contains("10% of the subjects held out", TrainingOverlap.Warning(ck, "/data/ckplus48", null));
        Assert.Null(TrainingOverlap.Warning(header with { Data = null }, "/data/fer2013", null));
    }

    [Fact]
    public void Evaluate_names_skipped_files_and_counts_unknown_classes_apart_and_writes_outside_models()
    {
        using var dir = new TempDir();
        Fixtures.WriteFace(dir.Combine("data", "happy", "a.png"), 1);
        Fixtures.WriteFace(dir.Combine("data", "sad", "b.png"), 2);
        Fixtures.WriteFace(dir.Combine("data", "contempt", "c.png"), 3);
        File.WriteAllBytes(dir.Combine("data", "sad", "broken.png"), []);
        string model = Path.Combine(TestPaths.RepoRoot, "models", "fer2013sharp-single-lite.ckpt");
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = dir.Path;
        try
        {
            var result = CliRunner.Run("evaluate", "--checkpoint", model, "--data", dir.Combine("data"));
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Contains($"skipped: {dir.Combine("data", "sad", "broken.png")}: file is empty", result.Output);
            Assert.Contains($"not scored: {dir.Combine("data", "contempt", "c.png")}: class contempt is not one of the model's classes", result.Output);
            Assert.Contains("1 face(s) show an expression the model does not know", result.Output);
            Assert.Contains("(1 skipped as unreadable, 1 of classes the model does not know)", result.Output);
            Assert.True(File.Exists(dir.Combine("runs", "eval", "fer2013sharp-single-lite-data", "report.json")));
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }
}
