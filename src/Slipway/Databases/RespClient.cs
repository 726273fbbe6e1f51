using System.Net.Sockets;
using System.Text;

namespace Slipway.Databases;

/// <summary>Just enough of the Redis protocol (RESP) for health checks and tests: send commands, read simple
/// replies (status, error, integer, bulk string). No client library is available here, and none is needed.</summary>
internal static class RespClient
{
    public static async Task<IReadOnlyList<string?>> CommandsAsync(int port, IReadOnlyList<IReadOnlyList<string>> commands, CancellationToken token)
    {
        using var client = new TcpClient();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        cts.CancelAfter(TimeSpan.FromSeconds(5));
        await client.ConnectAsync("127.0.0.1", port, cts.Token);
        await using var stream = client.GetStream();
        var request = new StringBuilder();
        foreach (var command in commands)
        {
            request.Append('*').Append(command.Count).Append("\r\n");
            foreach (var part in command)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
            }
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var replies = new List<string?>();
        for (var i = 0; i < commands.Count; i++)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new IOException("redis closed the connection");
            replies.Add(line[0] switch
            {
                '+' or ':' => line[1..],
                '-' => "ERR:" + line[1..],
                '$' when line == "$-1" => null,
                '$' => await ReadBulkAsync(reader, int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture), cts.Token),
                _ => line,
            });
        }
        return replies;
    }

    private static async Task<string> ReadBulkAsync(StreamReader reader, int length, CancellationToken token)
    {
        var buffer = new char[length + 2];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await reader.ReadAsync(buffer.AsMemory(read), token);
            if (n == 0)
            {
                throw new IOException("redis closed the connection");
            }
            read += n;
        }
        return new string(buffer, 0, length);
    }
}
