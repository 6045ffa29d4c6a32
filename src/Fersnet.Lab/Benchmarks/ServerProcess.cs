using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Fersnet.Lab.Benchmarks;

/// <summary><c>fersnet serve</c> in a child process on a free loopback port, ready once GET /api/health answers; stopped on dispose.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    public Uri Address { get; }
    public int Pid => _process.Id;

    /// <summary>The command as run, with the port it was given.</summary>
    public string CommandLine { get; }

    private ServerProcess(Process process, Uri address, string commandLine) => (_process, Address, CommandLine) = (process, address, commandLine);

    /// <param name="fileName">the program (e.g. dotnet)</param>
    /// <param name="arguments">its arguments up to the serve command's own (the server's --urls is added)</param>
    /// <exception cref="InvalidOperationException">The server exited or did not answer in time; the message has its last output line.</exception>
    public static async Task<ServerProcess> Start(string fileName, IReadOnlyList<string> arguments, TimeSpan startTimeout)
    {
        int port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.ToString().TrimEnd('/'));
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var server = new ServerProcess(process, address, string.Join(' ', start.ArgumentList));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._output) server._output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < startTimeout)
        {
            if (process.HasExited)
            {
                server.Dispose();
                throw new InvalidOperationException($"the server exited ({process.ExitCode}): {server.LastLine()}");
            }
            try
            {
                if ((await http.GetAsync(new Uri(address, "/api/health"))).StatusCode == HttpStatusCode.OK) return server;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(250);
        }
        server.Dispose();
        throw new InvalidOperationException($"the server did not answer /api/health within {startTimeout.TotalSeconds:0} s: {server.LastLine()}");
    }

    private string LastLine()
    {
        lock (_output) return _output.LastOrDefault(l => l.Trim().Length > 0) ?? "no output";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
