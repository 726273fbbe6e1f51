using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Tests.Edge.Upstream;

/// <summary>What a scripted app answers to one request: raw bytes (any head, however broken), then whether it
/// closes the connection.</summary>
internal sealed record Reply(byte[] Bytes, bool Close = false)
{
    public static Reply Text(string text, bool close = false) => new(Encoding.Latin1.GetBytes(text), close);
}

/// <summary>An app written on a bare socket, answering each request head with scripted bytes, so the tests can
/// send what no HTTP library would: split responses, broken chunking, early closes. Counts connections.</summary>
internal sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, Reply> _reply;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accepting;
    private int _connections;
    private int _closed;

    private ScriptedUpstream(Func<string, Reply> reply)
    {
        _reply = reply;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public static ScriptedUpstream Start(Func<string, Reply> reply) => new(reply);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections this app has closed itself (after a reply with Close).</summary>
    public int Closed => Volatile.Read(ref _closed);

    public ConcurrentQueue<string> Heads { get; } = new();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _clients.Add(client);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        catch (InvalidOperationException) when (_stop.IsCancellationRequested)
        {
            // Disposed between two accepts: the listener was stopped before the loop asked for the next connection.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var buffer = new byte[64 * 1024];
            var pending = "";
            while (true)
            {
                var end = pending.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    pending += Encoding.Latin1.GetString(buffer, 0, read);
                    continue;
                }
                var head = pending[..(end + 4)];
                pending = pending[(end + 4)..];
                Heads.Enqueue(head);
                var reply = _reply(head);
                await stream.WriteAsync(reply.Bytes, _stop.Token);
                if (reply.Close)
                {
                    client.Client.Shutdown(SocketShutdown.Both);
                    client.Dispose();
                    Interlocked.Increment(ref _closed);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        await _accepting;
        _stop.Dispose();
    }
}
