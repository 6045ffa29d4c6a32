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

    /// <summary>Exit code of a usage mistake (unknown command or option, missing or malformed value).</summary>
    public const int UsageExit = 2;

    /// <summary>
    /// Every exception that reaches the command tree ends in one line, never a stack trace: a usage mistake (Spectre's
    /// parse and validation errors) with exit 2, anything else with exit 1 (<c>FERSNET_DEBUG=1</c> prints the trace).
    /// </summary>
    internal static int Fail(Exception exception, ITypeResolver? resolver, Spectre.Console.IAnsiConsole? configured)
    {
        // A parse error comes before the command's console is registered: fall back to the configured one, then stdout.
        var console = configured ?? resolver?.Resolve(typeof(Spectre.Console.IAnsiConsole)) as Spectre.Console.IAnsiConsole ?? Spectre.Console.AnsiConsole.Console;
        bool usage = exception is CommandAppException;
        string message = FirstLine(exception.Message);
        if (exception is CommandAppException && exception.InnerException is { } inner)
            message = $"invalid value: {FirstLine(inner.Message).Replace(" (Parameter 'value')", "")}";
        console.Profile.Out.Writer.WriteLine(usage ? $"error: {message} (fersnet --help lists commands; fersnet <command> --help their options)"
            : $"error: {exception.GetType().Name}: {message}");
        if (Environment.GetEnvironmentVariable("FERSNET_DEBUG") == "1") console.Profile.Out.Writer.WriteLine(exception.ToString());
        console.Profile.Out.Writer.Flush();
        return usage ? UsageExit : 1;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    public static void Configure(IConfigurator config)
    {
        config.SetApplicationName("fersnet");
        config.UseStrictParsing();
        config.SetExceptionHandler((exception, resolver) => Fail(exception, resolver, config.Settings.Console));
        config.AddCommand<PredictCommand>("predict")
            .WithDescription("Find the faces in photos and read their expressions (bundled FER2013 model unless --checkpoint).")
            .WithExample("predict", "photo.jpg")
            .WithExample("predict", "photos/", "--format", "json", "--annotate", "out/");
        config.AddCommand<ServeCommand>("serve")
            .WithDescription("A web page and HTTP API for recognition and synthesis (loopback by default; docs/serve.md).")
            .WithExample("serve", "--urls", "http://127.0.0.1:5080");
        config.AddCommand<BenchServeCommand>("bench-serve")
            .WithDescription("Load fersnet serve (started in a second process on loopback) with photos and junk: 5xx, lost requests, latency, requests/s, memory.")
            .WithExample("bench-serve", "--clients", "20", "--seconds", "30", "--json", "docs/results/serve-load.json", "--notebook", "docs/RESULTS.md");
        config.AddCommand<DetectEvalCommand>("detect-eval")
            .WithDescription("Face detection against reference boxes (../shared/photos), photos/s end to end and faces/s on 48 px crops.")
            .WithExample("detect-eval", "--json", "docs/results/photos.json", "--notebook", "docs/RESULTS.md");
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
        config.AddCommand<ScoreboardCommand>("scoreboard")
            .WithDescription("Trained models on a dataset's fixed test splits (FER2013: PublicTest selects, PrivateTest reports), paired image by image (McNemar).")
            .WithExample("scoreboard", "--data", "../shared/data/fer2013", "--model", "single=runs/fer-single/best.ckpt", "--out", "docs/results/fer2013");
        config.AddCommand<SynthesizeCommand>("synthesize")
            .WithDescription("Re-draw face images with another expression: one PNG per face and expression, a grid per face, manifest.jsonl.")
            .WithExample("synthesize", "--input", "face.png", "--to", "all", "--out", "synthesized");
        config.AddCommand<EvaluateSynthesisCommand>("evaluate-synthesis")
            .WithDescription("Measure a synthesis model on held-out subjects: expression score by an independent classifier, distance to the real target face, Fréchet distance.")
            .WithExample("evaluate-synthesis", "--checkpoint", "runs/ck-synthesis/last.ckpt", "--classifier", "runs/ck-single/best.ckpt", "--data", "../shared/data/ckplus48");
        config.AddCommand<ExportCommand>("export")
            .WithDescription("Write a checkpoint's weights alone (model, and discriminator when there is one) to a small file for models/ or a warm start.")
            .WithExample("export", "--checkpoint", "runs/ck-synthesis/last.ckpt", "--out", "models/my-synthesis.ckpt");
        config.AddCommand<EvaluateCommand>("evaluate")
            .WithDescription("Accuracy, macro-F1, per-class recall/precision and confusion matrix of a checkpoint on a dataset.")
            .WithExample("evaluate", "--checkpoint", "runs/ck-fersnet/best.ckpt", "--data", "../shared/data/ckplus48");
    }
}
