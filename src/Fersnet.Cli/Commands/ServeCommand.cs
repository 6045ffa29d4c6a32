using System.ComponentModel;
using Fersnet.Server;
using Fersnet.Training;
using Microsoft.Extensions.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary><c>fersnet serve</c>: the web page and HTTP API (docs/serve.md). Runs until Ctrl+C.</summary>
public sealed class ServeCommand(IAnsiConsole console) : Command<ServeCommand.Settings>
{
    private static readonly ServeOptions Defaults = new();

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--urls <URLS>")]
        [Description("Where to listen (default " + ServeOptions.LoopbackUrls + ", loopback only); several separated by ';'.")]
        public string? Urls { get; init; }

        [CommandOption("--max-upload-mb <MB>")]
        [Description("Largest uploaded image in MiB (default 20).")]
        public double? MaxUploadMb { get; init; }

        [CommandOption("--max-pixels <N>")]
        [Description("Refuse images with more pixels than this, from their header, before decoding (default 50,000,000).")]
        public long? MaxPixels { get; init; }

        [CommandOption("--concurrency <N>")]
        [Description("Image requests worked on at once (default: the number of cores).")]
        public int? Concurrency { get; init; }

        [CommandOption("--queue <N>")]
        [Description("Image requests waiting for a worker; beyond it 503 with Retry-After (default 32).")]
        public int? Queue { get; init; }

        [CommandOption("--timeout <SECONDS>")]
        [Description("Time an image request may take, queueing included, before 504 (default 30).")]
        public double? Timeout { get; init; }

        [CommandOption("--checkpoint <FILE>")]
        [Description("Recognition checkpoint (default: the bundled FER2013 model).")]
        public string? Checkpoint { get; init; }

        [CommandOption("--synthesis-checkpoint <FILE>")]
        [Description("Synthesis checkpoint, fersnet or hard (default: the bundled synthesis model, whose card is in models/README.md).")]
        public string? SynthesisCheckpoint { get; init; }

        public override ValidationResult Validate() =>
            MaxUploadMb is <= 0 ? ValidationResult.Error("--max-upload-mb must be positive")
            : MaxPixels is < 1 ? ValidationResult.Error("--max-pixels must be positive")
            : Concurrency is < 1 ? ValidationResult.Error("--concurrency must be at least 1")
            : Queue is < 0 ? ValidationResult.Error("--queue must be 0 or more")
            : Timeout is <= 0 ? ValidationResult.Error("--timeout must be positive")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new ServeOptions
        {
            Urls = settings.Urls ?? Defaults.Urls,
            MaxUploadBytes = settings.MaxUploadMb is { } mb ? (long)(mb * (1 << 20)) : Defaults.MaxUploadBytes,
            MaxPixels = settings.MaxPixels ?? Defaults.MaxPixels,
            Concurrency = settings.Concurrency ?? Defaults.Concurrency,
            QueueLimit = settings.Queue ?? Defaults.QueueLimit,
            RequestTimeout = settings.Timeout is { } s ? TimeSpan.FromSeconds(s) : Defaults.RequestTimeout,
            Checkpoint = settings.Checkpoint,
            SynthesisCheckpoint = settings.SynthesisCheckpoint,
        };
        // A long-running process of its own: cap glibc's large-block threshold so memory stays bounded (as predict does).
        Runtime.NativeMemory.BoundForInference();
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = FersnetServer.Build(options);
        }
        catch (Exception e) when (e is CheckpointException or FileNotFoundException or ArgumentException)
        {
            console.Profile.Out.Writer.WriteLine($"error: {e.Message}");
            return 1;
        }
        try
        {
            app.StartAsync(cancellationToken).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            console.Profile.Out.Writer.WriteLine($"error: cannot listen on {options.Urls}: {e.Message}");
            return 1;
        }
        console.Profile.Out.Writer.WriteLine($"fersnet serve: listening on {string.Join(", ", app.Urls)} (Ctrl+C stops)");
        console.Profile.Out.Writer.Flush();
        app.WaitForShutdownAsync(cancellationToken).GetAwaiter().GetResult();
        return 0;
    }
}
