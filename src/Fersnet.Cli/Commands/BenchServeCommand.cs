using System.ComponentModel;
using System.Text.Json;
using Fersnet.Lab.Benchmarks;
using Fersnet.Lab.Reporting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Fersnet.Cli.Commands;

/// <summary>
/// <c>fersnet bench-serve</c>: starts <c>fersnet serve</c> in a second process on loopback and loads it from this one
/// (photos and junk mixed); exit 0 when no answer was 5xx, none was lost and each was of the expected kind.
/// </summary>
public sealed class BenchServeCommand(IAnsiConsole console) : AsyncCommand<BenchServeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--clients <N>")]
        [Description("Concurrent clients (default 20).")]
        public int Clients { get; init; } = 20;

        [CommandOption("--seconds <S>")]
        [Description("How long the load runs (default 30).")]
        public double Seconds { get; init; } = 30;

        [CommandOption("--photos <DIR>")]
        [Description("Folder of photos to send (default ../shared/photos; its *.jpg).")]
        public string Photos { get; init; } = Path.Combine("..", "shared", "photos");

        [CommandOption("--json <FILE>")]
        [Description("Also write the figures as JSON (e.g. docs/results/serve-load.json).")]
        public string? Json { get; init; }

        [CommandOption("--notebook <FILE>")]
        [Description("Write the figures as a generated section of this notebook (docs/RESULTS.md).")]
        public string? Notebook { get; init; }

        public override ValidationResult Validate() =>
            Clients < 1 ? ValidationResult.Error("--clients must be at least 1")
            : Seconds <= 0 ? ValidationResult.Error("--seconds must be positive")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var output = console.Profile.Out.Writer;
        var photos = Directory.Exists(settings.Photos)
            ? Directory.EnumerateFiles(settings.Photos, "*.jpg").Order(StringComparer.Ordinal).Select(f => new LoadInput(Path.GetFileName(f), File.ReadAllBytes(f), false)).ToArray()
            : [];
        if (photos.Length == 0) { output.WriteLine($"error: {settings.Photos}: no *.jpg photos"); return 1; }

        // The server: this very program, `serve`, in a process of its own.
        string program = typeof(BenchServeCommand).Assembly.Location;
        string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        ServerProcess server;
        try
        {
            server = await ServerProcess.Start(dotnet, [program, "serve"], TimeSpan.FromSeconds(120));
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine($"error: {e.Message}");
            return 1;
        }
        ServeLoadResult result;
        using (server)
        {
            output.WriteLine($"server pid {server.Pid} on {server.Address}; {settings.Clients} clients for {settings.Seconds:0.#} s...");
            output.Flush();
            result = await ServeLoad.Run(server.Address, photos, ServeLoad.Junk(photos[0].Bytes), settings.Clients, TimeSpan.FromSeconds(settings.Seconds),
                server.Pid, cancellationToken: cancellationToken);
        }
        output.WriteLine($"{result.Sent} sent, {result.Answered} answered, {result.Lost} lost, {result.ServerErrors} 5xx, {result.Unexpected} unexpected; " +
            $"{result.RequestsPerSecond:F1} requests/s; p50 {result.All.P50:F0} ms, p95 {result.All.P95:F0} ms; server RSS peak {result.ServerRssMiB.Peak:F0} MiB");
        var provenance = Provenance.Current();
        string command = FersnetCli.CommandLine(context);
        if (settings.Json is { } json)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { command, provenance = provenance.ToString(), result }, Fersnet.Serialization.FersnetJson.Indented), cancellationToken);
        }
        if (settings.Notebook is { } notebook) Notebook.ReplaceSection(notebook, "serve-load", ServeLoad.Section(result, provenance, command, "./fersnet serve"));
        if (!result.Passed) output.WriteLine("error: the load test failed (a 5xx, a lost request or an unexpected answer)");
        return result.Passed ? 0 : 1;
    }
}
