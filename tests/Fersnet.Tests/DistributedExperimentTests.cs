using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fersnet.Lab.Experiments;
using Fersnet.Serialization;

namespace Fersnet.Tests;

/// <summary>An experiment's jobs run one by one (--only), from several writers at once, and on a one-node Slurm cluster.</summary>
public class DistributedExperimentTests
{
    private static string[] Tiny(string outDir, string name) => ["experiment", "--data", TestPaths.CkPlus, "--folds", "2", "--epochs", "1", "--width", "8",
        "--subjects", "8", "--variants", "single,hard", "--out", outDir, "--name", name];

    private static FoldResult[] Results(string path) =>
        File.ReadAllLines(path).Select(l => JsonSerializer.Deserialize<FoldResult>(l, FersnetJson.Options)!).OrderBy(r => r.Variant).ThenBy(r => r.Fold).ToArray();

    /// <summary>A result without what depends on when and how fast it ran: two runs of one configuration must agree on the rest.</summary>
    private static string Figures(FoldResult r) =>
        JsonSerializer.Serialize(r with { Seconds = 0, TrainImagesPerSecond = 0, Commit = null, FinishedUtc = default }, FersnetJson.Options);

    [Fact]
    public void Only_runs_one_job_per_value_numbers_folds_from_1_writes_no_report_and_matches_a_whole_run()
    {
        using var dir = new TempDir();
        string outDir = dir.Combine("jobs");
        string[] args = Tiny(outDir, "jobs");

        foreach (var (value, message) in new[]
        {
            ("hard", "--only 'hard': expected <variant>:<fold>, e.g. single:1"),
            ("fersnet:1", "'fersnet' is not a variant of this experiment (single, hard)"),
            ("single:0", "--only 'single:0': folds are numbered 1 to 2"),
            ("single:3", "folds are numbered 1 to 2"),
        })
        {
            var bad = CliRunner.Run([.. args, "--only", value]);
            Assert.True(bad.ExitCode == 2, bad.Output);
            Assert.Contains(message, bad.Output.Replace("\n", ""));
            Assert.DoesNotContain(" at ", bad.Output);
        }
        Assert.Equal(2, CliRunner.Run([.. args, "--only", "single:1", "--report-only"]).ExitCode);
        Assert.False(File.Exists(Path.Combine(outDir, "results.jsonl")));

        var listed = CliRunner.Run([.. args, "--list-jobs"]);
        Assert.Equal(0, listed.ExitCode);
        Assert.Equal(["single:1", "hard:1", "single:2", "hard:2"], listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var one = CliRunner.Run([.. args, "--only", "hard:2"]);
        Assert.True(one.ExitCode == 0, one.Output);
        Assert.Contains("1 training(s) finished", one.Output);
        Assert.Contains("hard fold 2/2: test accuracy", one.Output);
        var hard = Assert.Single(Results(Path.Combine(outDir, "results.jsonl")));
        Assert.Equal(("hard", 1), (hard.Variant, hard.Fold));             // the file counts folds from 0
        Assert.False(File.Exists(Path.Combine(outDir, "report.json")), "--only wrote a report");

        var again = CliRunner.Run([.. args, "--only", "HARD:2"]);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("0 training(s) finished", again.Output);
        Assert.Single(File.ReadAllLines(Path.Combine(outDir, "results.jsonl")));
        Assert.Equal(["single:1", "hard:1", "single:2"],
            CliRunner.Run([.. args, "--list-jobs"]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var rest = CliRunner.Run([.. args, "--only", "single:2", "--only", "single:1", "--only", "hard:1"]);
        Assert.True(rest.ExitCode == 0, rest.Output);
        Assert.Contains("3 training(s) finished", rest.Output);
        Assert.Empty(CliRunner.Run([.. args, "--list-jobs"]).Output.Trim());
        var report = CliRunner.Run([.. args, "--report-only"]);
        Assert.True(report.ExitCode == 0, report.Output);

        // The same experiment in one run: the same figures, fold by fold, and the same report but for name, command, time.
        string wholeDir = dir.Combine("whole");
        var whole = CliRunner.Run(Tiny(wholeDir, "whole"));
        Assert.True(whole.ExitCode == 0, whole.Output);
        Assert.Equal(Results(Path.Combine(wholeDir, "results.jsonl")).Select(Figures), Results(Path.Combine(outDir, "results.jsonl")).Select(Figures));
        Assert.Equal(ComparableReport(Path.Combine(wholeDir, "report.json"), "whole"), ComparableReport(Path.Combine(outDir, "report.json"), "jobs"));
        Assert.Contains("\"complete\":true", ComparableReport(Path.Combine(outDir, "report.json"), "jobs"));
    }

    /// <summary>A report without provenance and timings, its name and output folder replaced by a placeholder.</summary>
    private static string ComparableReport(string path, string name)
    {
        var report = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        foreach (var field in new[] { "provenance", "totalTrainingSeconds" }) Assert.True(report.Remove(field), $"{path} lacks {field}");
        foreach (var (_, variant) in report["variants"]!.AsObject())
            foreach (var field in new[] { "trainingSeconds", "trainImagesPerSecond" }) Assert.True(variant!.AsObject().Remove(field), $"{path} lacks {field}");
        return report.ToJsonString().Replace(name, "NAME");
    }

    [Fact]
    public void Concurrent_appends_keep_every_line_whole_and_each_job_once()
    {
        using var dir = new TempDir();
        string path = dir.Combine("results.jsonl");
        const int writers = 4, jobs = 25, size = 1500;
        // Long lines (~10 kB each, more than a page): unlocked writers that seek to the end and write would overwrite each other's.
        FoldResult Line(int writer, int job) => new($"w{writer}", job, "f", 10, 2, size, 1, 0.5, job / 100.0, 0.5, 1, 100, null,
            Enumerable.Range(job, size).ToArray(), new int[size], new int[size], null, DateTime.UnixEpoch);
        using var start = new Barrier(writers + 1);
        int appended = 0, readLines = 0;
        var errors = new List<Exception>();
        bool writing = true;
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int job = 0; job < jobs; job++)
                {
                    if (ResultsFile.Append(path, Line(w, job))) Interlocked.Increment(ref appended);
                    // Every writer also records the same shared jobs (a resubmitted task): one of them may append each.
                    if (ResultsFile.Append(path, Line(0, job) with { Variant = "shared" })) Interlocked.Increment(ref appended);
                }
            }
            catch (Exception e) { lock (errors) errors.Add(e); }
        })).ToList();
        var reader = new Thread(() =>
        {
            start.SignalAndWait();
            // A job reading the results between trainings, many times faster than any job finishes.
            while (Volatile.Read(ref writing))
            {
                try { Volatile.Write(ref readLines, Math.Max(readLines, ResultsFile.Read(path).Count)); }
                catch (Exception e) { lock (errors) errors.Add(e); }
                Thread.Sleep(2);
            }
        });
        threads.ForEach(t => t.Start());
        reader.Start();
        threads.ForEach(t => t.Join());
        Volatile.Write(ref writing, false);
        reader.Join();

        Assert.Empty(errors);
        Assert.True(readLines > 0, "the reader never read while the writers wrote");
        Assert.Equal(writers * jobs + jobs, appended);
        var lines = File.ReadAllLines(path);
        Assert.Equal(writers * jobs + jobs, lines.Length);
        var results = lines.Select(l => JsonSerializer.Deserialize<FoldResult>(l, FersnetJson.Options)!).ToArray();
        Assert.Equal(lines.Length, results.Select(r => (r.Variant, r.Fold)).Distinct().Count());
        Assert.All(results, r => Assert.Equal(Enumerable.Range(r.Fold, size), r.TestIndices));
        Assert.Equal(jobs, results.Count(r => r.Variant == "shared"));
    }

    [Fact]
    public void A_repeated_line_is_read_once_and_said_and_a_cut_line_does_not_swallow_the_next()
    {
        using var dir = new TempDir();
        string path = dir.Combine("results.jsonl");
        var result = new FoldResult("single", 0, "f", 10, 2, 2, 1, 0.5, 0.5, 0.5, 1, 100, null, [1, 2], [0, 1], [0, 0], null, DateTime.UnixEpoch);
        string line = JsonSerializer.Serialize(result, FersnetJson.Options);
        File.WriteAllLines(path, [line, JsonSerializer.Serialize(result with { TestAccuracy = 1 }, FersnetJson.Options)]);
        var said = new List<string>();
        var read = ResultsFile.Read(path, said.Add);
        Assert.Equal((0.5, 1), (Assert.Single(read).Result.TestAccuracy, read[0].Line));
        Assert.Equal($"{path}:2: fold 1 of 'single' repeats line 1; the first is kept", Assert.Single(said));
        Assert.False(ResultsFile.Append(path, result with { TestAccuracy = 0.7 }));
        Assert.Equal(2, File.ReadAllLines(path).Length);

        // A writer killed mid-line leaves no newline: the next line still starts on its own.
        File.WriteAllText(path, line[..20]);
        Assert.True(ResultsFile.Append(path, result));
        Assert.Equal([line[..20], line], File.ReadAllLines(path));
        Assert.Contains($"{path}:1: unreadable result line", Assert.Throws<InvalidDataException>(() => ResultsFile.Read(path)).Message);
    }

    [Fact]
    public void A_one_node_slurm_cluster_runs_the_job_array_and_its_report_equals_a_sequential_run()
    {
        using var dir = new TempDir();
        var script = new ProcessStartInfo("bash", [Path.Combine(TestPaths.RepoRoot, "tests", "slurm", "slurm-test.sh"), dir.Path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        script.Environment["FERSNET_SLURM_TEST_DATA"] = TestPaths.CkPlus;
        using var process = Process.Start(script)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"slurm-test.sh did not finish in 8 minutes:\n{output}");
        }
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"slurm-test.sh failed:\n{output}");
        Assert.Contains("slurm test: ok", output.ToString());

        string cluster = dir.Combine("cluster"), sequential = dir.Combine("sequential");
        var clusterResults = Results(Path.Combine(cluster, "results.jsonl"));
        Assert.Equal(["fersnet:0", "fersnet:1", "fersnet+synth:0", "fersnet+synth:1"], clusterResults.Select(r => $"{r.Variant}:{r.Fold}"));
        Assert.Equal(Results(Path.Combine(sequential, "results.jsonl")).Select(Figures), clusterResults.Select(Figures));
        Assert.Equal(ComparableReport(Path.Combine(sequential, "report.json"), "sequential"), ComparableReport(Path.Combine(cluster, "report.json"), "cluster"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Combine("runs", "experiments", "cluster")));   // training folders and their locks gone
    }
}
