using System.Net.Sockets;
using System.Text;

namespace Fersnet.Tests;

/// <summary>An HTTP/1.1 answer as read off the socket: status, headers (names lower-case) and the body, de-chunked.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// HTTP/1.1 by hand over a socket, for what HttpClient cannot do on purpose: stop sending a body half-way, or send a body
/// whose every byte the server has taken in before it answers early (an early answer to a client still sending ends in a
/// reset, and the client may never read it).
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) and <paramref name="body"/>,
    /// sends nothing more, and reads the answer until the server closes the connection or has sent the whole body.</summary>
    public static async Task<RawResponse> Exchange(Uri server, string head, byte[] body, TimeSpan wait)
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(wait);
        await tcp.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{head}\r\nHost: {server.Authority}\r\n\r\n"), timeout.Token);
        await stream.WriteAsync(body, timeout.Token);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        RawResponse? response = null;
        while (response is null)
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            received.Write(buffer, 0, read);
            response = Parse(received.ToArray(), closed: read == 0);
        }
        return response;
    }

    /// <summary>The answer in <paramref name="bytes"/>, or null while it is incomplete and the connection still open.</summary>
    private static RawResponse? Parse(byte[] bytes, bool closed)
    {
        string text = Encoding.Latin1.GetString(bytes); // a char per byte: lengths below are byte counts
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return closed ? throw new IOException($"the connection closed after {bytes.Length} bytes, before a whole head") : null;
        var lines = text[..end].Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1]);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
        string rest = text[(end + 4)..];
        string? body = headers.TryGetValue("content-length", out var length) ? (rest.Length >= int.Parse(length) ? rest[..int.Parse(length)] : null)
            : headers.GetValueOrDefault("transfer-encoding") == "chunked" ? Dechunk(rest)
            : closed ? rest : null;
        if (body is null && closed) throw new IOException($"the connection closed inside the body: {rest}");
        return body is null ? null : new RawResponse(status, headers, Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(body)));
    }

    /// <summary>A chunked body, or null until its last (empty) chunk has arrived.</summary>
    private static string? Dechunk(string rest)
    {
        var body = new StringBuilder();
        int at = 0;
        while (true)
        {
            int lineEnd = rest.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (lineEnd < 0) return null;
            int size = Convert.ToInt32(rest[at..lineEnd].Split(';')[0], 16);
            if (size == 0) return body.ToString();
            if (lineEnd + 2 + size > rest.Length) return null;
            body.Append(rest, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }
}
