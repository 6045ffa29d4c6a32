using Fersnet.Cli.Commands;
using Spectre.Console.Cli;

namespace Fersnet.Cli;

/// <summary>The command tree of <c>fersnet</c>; shared by Program and the tests.</summary>
public static class FersnetCli
{
    /// <summary>
    /// The command as typed (arguments with spaces quoted), for the generated notebook sections. Options that only
    /// decide when a resumable run stops or whether it trains at all (<paramref name="runControl"/>: name and number of
    /// values) are left out: the recorded command is the one that produces the figures, however many sittings it took.
    /// </summary>
    public static string CommandLine(CommandContext context, IReadOnlyDictionary<string, int>? runControl = null)
    {
        var kept = new List<string>();
        var arguments = context.Arguments;
        for (int i = 0; i < arguments.Count; i++)
        {
            if (runControl is not null && runControl.TryGetValue(arguments[i], out int values)) { i += values; continue; }
            kept.Add(arguments[i].Contains(' ') ? $"\"{arguments[i]}\"" : arguments[i]);
        }
        return "./fersnet " + string.Join(' ', kept);
    }

    public static void Configure(IConfigurator config)
    {
        config.SetApplicationName("fersnet");
        config.PropagateExceptions();
        config.AddBranch("data", data =>
        {
            data.SetDescription("Look at datasets before training on them.");
            data.AddCommand<DataInspectCommand>("inspect")
                .WithDescription("Detect a dataset's layout and count its images per class and split, its subjects and unusable files.")
                .WithExample("data", "inspect", "../shared/data/ckplus48");
        });
        config.AddCommand<TrainCommand>("train")
            .WithDescription("Train a model (fersnet, hard or single) into a run folder; --resume continues a stopped run.")
            .WithExample("train", "--data", "../shared/data/ckplus48", "--model", "fersnet", "--epochs", "30", "--out", "runs/ck-fersnet");
        config.AddCommand<ExperimentCommand>("experiment")
            .WithDescription("Subject-independent k-fold ablation of single, hard and fersnet; resumable; writes a report.")
            .WithExample("experiment", "--data", "../shared/data/ckplus48", "--folds", "10", "--out", "runs/ck-ablation");
        config.AddCommand<SeedsCommand>("seeds")
            .WithDescription("Several training seeds of one experiment together: mean over seeds, its spread, variants paired on seed-averaged folds.")
            .WithExample("seeds", "--data", "../shared/data/ckplus48", "--results", "runs/seed1.jsonl", "--results", "runs/seed2.jsonl");
        config.AddCommand<BenchCommand>("bench")
            .WithDescription("Training images/s, inference faces/s and latency of each model, with FLOPs and share of the CPU's peak.")
            .WithExample("bench", "--json", "docs/results/bench.json", "--notebook", "docs/RESULTS.md");
        config.AddCommand<SynthesizeCommand>("synthesize")
            .WithDescription("Re-draw face images with another expression: one PNG per face and expression, a grid per face, manifest.jsonl.")
            .WithExample("synthesize", "--input", "face.png", "--to", "all", "--out", "synthesized");
        config.AddCommand<EvaluateSynthesisCommand>("evaluate-synthesis")
            .WithDescription("Measure a synthesis model on held-out subjects: expression score by an independent classifier, distance to the real target face, Fréchet distance.")
            .WithExample("evaluate-synthesis", "--checkpoint", "runs/ck-synthesis/last.ckpt", "--classifier", "runs/ck-single/best.ckpt", "--data", "../shared/data/ckplus48");
        config.AddCommand<EvaluateCommand>("evaluate")
            .WithDescription("Accuracy, macro-F1, per-class recall/precision and confusion matrix of a checkpoint on a dataset.")
            .WithExample("evaluate", "--checkpoint", "runs/ck-fersnet/best.ckpt", "--data", "../shared/data/ckplus48");
    }
}
