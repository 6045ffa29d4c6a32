using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Fersnet.Lab.Reporting;

namespace Fersnet.Lab.Benchmarks;

/// <summary>One body the load sends: a photo (expects 200) or junk (expects a 4xx problem).</summary>
public sealed record LoadInput(string Name, byte[] Bytes, bool Junk);

/// <summary>Latency percentiles of one kind of request, in milliseconds.</summary>
public sealed record Latency(long Count, double P50, double P95, double P99, double Max)
{
    public static Latency Of(IReadOnlyList<double> ms)
    {
        if (ms.Count == 0) return new Latency(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = ms.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Latency(sorted.Length, At(0.50), At(0.95), At(0.99), sorted[^1]);
    }
}

/// <param name="Sent">requests started</param>
/// <param name="Answered">requests that got an HTTP answer (any status)</param>
/// <param name="Lost">requests with no answer (connection error or client timeout): Sent − Answered</param>
/// <param name="ByStatus">answers per HTTP status</param>
/// <param name="Unexpected">photos answered other than 200, junk answered other than 4xx</param>
/// <param name="ServerRssMiB">the server's resident memory: before the load, its peak during it, and after</param>
public sealed record ServeLoadResult(
    int Clients, double Seconds, double JunkShare, double SynthesisShare, int Photos, int JunkKinds,
    long Sent, long Answered, long Lost, IReadOnlyDictionary<int, long> ByStatus, long ServerErrors, long Unexpected,
    double RequestsPerSecond, Latency All, Latency Predict, Latency Synthesize, Latency Junk,
    ServerMemory ServerRssMiB, string LoadAverage)
{
    /// <summary>Zero 5xx, no request lost, every answer the expected kind.</summary>
    public bool Passed => ServerErrors == 0 && Lost == 0 && Unexpected == 0 && Sent > 0;
}

public sealed record ServerMemory(double Before, double Peak, double After);

/// <summary>
/// A bounded load on a running <c>fersnet serve</c> from this process: <c>clients</c> concurrent loops for a fixed time,
/// each sending photos (to /api/predict, some to /api/synthesize) and junk (expects 4xx) in turn, timing every answer;
/// the server's memory is sampled from /proc while it runs.
/// </summary>
public static class ServeLoad
{
    /// <summary>Junk bodies of every kind the server must refuse with a 4xx: text, random bytes, a cut-off JPEG, a pixel bomb, an empty file.</summary>
    public static IReadOnlyList<LoadInput> Junk(byte[] aJpeg)
    {
        var random = new Random(19);
        var noise = new byte[50_000];
        random.NextBytes(noise);
        // A PNG signature and IHDR claiming 60,000 x 60,000 pixels, then nothing.
        var bomb = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 2, 0, 0, 0 };
        return
        [
            new("text.jpg", Encoding.UTF8.GetBytes("<html><body>not a photo</body></html>"), true),
            new("noise.png", noise, true),
            new("cut.jpg", aJpeg[..(aJpeg.Length / 3)], true),
            new("bomb.png", bomb, true),
            new("empty.jpg", [], true),
        ];
    }

    public static async Task<ServeLoadResult> Run(Uri server, IReadOnlyList<LoadInput> photos, IReadOnlyList<LoadInput> junk, int clients, TimeSpan duration,
        int? serverPid, double junkShare = 0.25, double synthesisShare = 0.2, CancellationToken cancellationToken = default)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(120) };
        double before = Rss(serverPid);
        double peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, Rss(serverPid));
                try { await Task.Delay(100, sampling.Token); } catch (OperationCanceledException) { }
            }
        });

        string load = PhotoBench.LoadAverage();
        var records = new List<(string Kind, int Status, double Ms)>[clients];
        long sent = 0, lost = 0;
        var clock = Stopwatch.StartNew();
        var deadline = duration;
        var loops = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var mine = records[client] = [];
            var random = new Random(1000 + client);
            while (clock.Elapsed < deadline && !cancellationToken.IsCancellationRequested)
            {
                bool isJunk = random.NextDouble() < junkShare;
                var input = isJunk ? junk[random.Next(junk.Count)] : photos[random.Next(photos.Count)];
                string kind = isJunk ? "junk" : random.NextDouble() < synthesisShare ? "synthesize" : "predict";
                using var form = new MultipartFormDataContent();
                var file = new ByteArrayContent(input.Bytes);
                file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                form.Add(file, "image", input.Name);
                if (kind == "synthesize") { form.Add(new StringContent("json"), "format"); form.Add(new StringContent("all"), "to"); }
                Interlocked.Increment(ref sent);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.PostAsync(kind == "synthesize" ? "/api/synthesize" : "/api/predict", form, cancellationToken);
                    await response.Content.ReadAsByteArrayAsync(cancellationToken);
                    mine.Add((kind, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref lost);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(loops);
        double seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(500, CancellationToken.None);
        sampling.Cancel();
        await sampler;
        double after = Rss(serverPid);

        var all = records.SelectMany(r => r).ToList();
        var byStatus = all.GroupBy(r => r.Status).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => (long)g.LongCount());
        // Synthesis of a photo without a face (422) is an expected answer too; junk must be a 4xx, never a 5xx.
        long unexpected = all.Count(r => r.Kind == "junk" ? r.Status is < 400 or >= 500 : r.Status != 200 && !(r.Kind == "synthesize" && r.Status == 422));
        Latency Of(string? kind) => Latency.Of(all.Where(r => kind is null || r.Kind == kind).Select(r => r.Ms).ToArray());
        return new ServeLoadResult(clients, seconds, junkShare, synthesisShare, photos.Count, junk.Count, sent, all.Count, lost, byStatus,
            all.LongCount(r => r.Status >= 500), unexpected, all.Count / seconds, Of(null), Of("predict"), Of("synthesize"), Of("junk"),
            new ServerMemory(Math.Round(before, 1), Math.Round(peak, 1), Math.Round(after, 1)), load);
    }

    /// <summary>Resident memory of a process in MiB (VmRSS); NaN when unknown.</summary>
    public static double Rss(int? pid)
    {
        if (pid is null) return double.NaN;
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? double.NaN : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    /// <summary>The notebook section: what was sent, what came back, latency percentiles, throughput, the server's memory.</summary>
    public static string Section(ServeLoadResult r, Provenance provenance, string command, string serverCommand)
    {
        var text = Notebook.Section("fersnet serve under load (issue 19)", command, provenance);
        text.AppendLine($"- Server: `{serverCommand}` in a process of its own on loopback (its defaults: a worker per core, a queue of 32, 30 s timeout); the load comes from the measuring process.");
        text.AppendLine($"- Load: {r.Clients} concurrent clients for {Markdown.Number(r.Seconds, 1)} s, each sending one request after another: the {r.Photos} photos of `../shared/photos` (1920 px wide; {r.SynthesisShare:P0} of them to `/api/synthesize` with `to=all, format=json`, the rest to `/api/predict`) and, {r.JunkShare:P0} of the time, one of {r.JunkKinds} junk bodies (text, random bytes, a cut-off JPEG, a PNG header claiming 60,000 x 60,000 pixels, an empty file).");
        text.AppendLine($"- CPU load before the run (/proc/loadavg): `{r.LoadAverage}`.");
        text.AppendLine();
        text.AppendLine(Markdown.Table(["requests", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [
            Row("all", r.All), Row("predict (photo)", r.Predict), Row("synthesize (photo)", r.Synthesize), Row("junk", r.Junk),
        ]));
        text.AppendLine();
        text.AppendLine($"- **{Markdown.Number(r.RequestsPerSecond, 1)} requests/s**; {r.Sent} sent, {r.Answered} answered, **{r.Lost} lost**, **{r.ServerErrors} answers 5xx**, {r.Unexpected} unexpected (a photo not 200, junk not 4xx). Statuses: {string.Join(", ", r.ByStatus.Select(s => $"{s.Key}: {s.Value}"))}.");
        text.AppendLine($"- Server memory (VmRSS): {Markdown.Number(r.ServerRssMiB.Before, 0)} MiB before, **{Markdown.Number(r.ServerRssMiB.Peak, 0)} MiB peak**, {Markdown.Number(r.ServerRssMiB.After, 0)} MiB after.");
        text.AppendLine($"- {(r.Passed ? "Passed" : "FAILED")}: zero 5xx, no request lost, every answer of the expected kind.");
        return text.ToString();

        static IReadOnlyList<string> Row(string name, Latency l) =>
            [name, l.Count.ToString(), Markdown.Number(l.P50, 0), Markdown.Number(l.P95, 0), Markdown.Number(l.P99, 0), Markdown.Number(l.Max, 0)];
    }
}
