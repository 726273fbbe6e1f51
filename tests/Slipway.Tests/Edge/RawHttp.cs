using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Tests.Edge;

/// <summary>HTTP/1.1 written by hand over a TcpClient, for requests no well-behaved client would send
/// (undecoded dot segments, backslashes, invalid UTF-8, hop-by-hop headers).</summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="requestLine"/> and <paramref name="headers"/> (plus "Connection: close" unless
    /// a Connection header is given) and returns the response: read by its Content-Length, or else (and always
    /// for HEAD) everything until the server closes the connection, so stray body bytes would show.</summary>
    public static async Task<RawResponse> SendAsync(int port, string requestLine, params string[] headers)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        var request = new StringBuilder(requestLine).Append("\r\n");
        foreach (var header in headers)
        {
            request.Append(header).Append("\r\n");
        }
        if (!headers.Any(h => h.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)))
        {
            request.Append("Connection: close\r\n");
        }
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request.ToString()));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        int? expectedLength = null;
        while (expectedLength is null || received.Count < expectedLength)
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }
            received.AddRange(buffer.AsSpan(0, read));
            if (expectedLength is null && !requestLine.StartsWith("HEAD ", StringComparison.Ordinal) &&
                new RawResponse(Encoding.UTF8.GetString(received.ToArray())) is { HeadComplete: true } partial &&
                partial.Header("Content-Length") is { } length)
            {
                expectedLength = Encoding.UTF8.GetByteCount(partial.Head) + 4 + int.Parse(length, CultureInfo.InvariantCulture);
            }
        }
        return new RawResponse(Encoding.UTF8.GetString(received.ToArray()));
    }
}

internal sealed record RawResponse(string Text)
{
    public bool HeadComplete => Text.Contains("\r\n\r\n", StringComparison.Ordinal);

    public int Status => int.Parse(Text.Split(' ', 3)[1], CultureInfo.InvariantCulture);

    public string Head => Text.Split("\r\n\r\n", 2)[0];

    public string Body => Text.Split("\r\n\r\n", 2) is [_, var body] ? body : "";

    public string? Header(string name) => Head.Split("\r\n").Skip(1)
        .Select(line => line.Split(':', 2))
        .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
        .Select(parts => parts[1].Trim())
        .FirstOrDefault();
}
