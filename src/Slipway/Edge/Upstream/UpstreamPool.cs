using System.Net;
using System.Net.Sockets;

namespace Slipway.Edge.Upstream;

/// <summary>Idle keep-alive connections to one app instance, most recently used first (the warmest connection, and
/// the least likely to have been closed by the app). A connection idle for <see cref="IdleTimeout"/> is closed by
/// us before the app closes it: Node's default keep-alive timeout is 5 s, and a request sent on a connection the
/// app is closing is lost (the forwarder retries those once, on a new connection).</summary>
internal sealed class UpstreamPool(IPEndPoint endpoint)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    public const int MaxIdle = 512;

    private readonly Stack<UpstreamConnection> _idle = new();
    private readonly Lock _lock = new();

    public IPEndPoint Endpoint { get; } = endpoint;

    /// <summary>When a request last used this pool (Environment.TickCount64): pools of instances gone are dropped.</summary>
    public long LastUsed { get; private set; } = Environment.TickCount64;

    public int IdleCount
    {
        get
        {
            lock (_lock)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>The most recently used idle connection that is still usable, or null. One that is readable is not:
    /// the app closed it (end of stream) or sent bytes nobody asked for (a late body, a second answer), which must
    /// never be read as the next request's response.</summary>
    public UpstreamConnection? TakeIdle()
    {
        var now = Environment.TickCount64;
        LastUsed = now;
        while (true)
        {
            UpstreamConnection? connection;
            lock (_lock)
            {
                if (!_idle.TryPop(out connection))
                {
                    return null;
                }
            }
            if (!Expired(connection, now) && !Readable(connection))
            {
                return connection;
            }
            connection.Dispose();
        }
    }

    private static bool Readable(UpstreamConnection connection)
    {
        try
        {
            return connection.Socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private volatile bool _closed;

    /// <summary>The pool was dropped (its instance unused for a while): connections returned later are closed.</summary>
    public void Close()
    {
        _closed = true;
        Clear();
    }

    public void Return(UpstreamConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.Served++;
        connection.Recycle();
        lock (_lock)
        {
            if (!_closed && _idle.Count < MaxIdle)
            {
                _idle.Push(connection);
                return;
            }
        }
        connection.Dispose();
    }

    /// <summary>Opens a new connection; a <see cref="TimeoutException"/> when it takes longer than
    /// <paramref name="timeout"/>, a <see cref="SocketException"/> when it is refused.</summary>
    public async ValueTask<UpstreamConnection> ConnectAsync(TimeSpan timeout, CancellationToken token)
    {
#pragma warning disable CA2000 // the connection owns the socket from here
        return new UpstreamConnection(await ConnectSocketAsync(Endpoint, timeout, token));
#pragma warning restore CA2000
    }

    /// <summary>A TCP connection with Nagle off, within <paramref name="timeout"/> (a <see cref="TimeoutException"/>
    /// naming the endpoint when it takes longer). Both forwarding paths connect to instances through this.</summary>
    public static async ValueTask<Socket> ConnectSocketAsync(EndPoint endpoint, TimeSpan timeout, CancellationToken token)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, deadline.Token);
            return socket;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            socket.Dispose();
            var name = endpoint is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : endpoint.ToString();
            throw new TimeoutException($"connecting to {name} took longer than {timeout.TotalSeconds:0.#}s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Closes idle connections past their idle timeout or lifetime.</summary>
    public void Sweep()
    {
        var now = Environment.TickCount64;
        List<UpstreamConnection>? expired = null;
        lock (_lock)
        {
            if (_idle.Count == 0 || !_idle.Any(c => Expired(c, now)))
            {
                return;
            }
            var kept = _idle.Where(c => !Expired(c, now)).Reverse().ToList();
            expired = _idle.Where(c => Expired(c, now)).ToList();
            _idle.Clear();
            foreach (var connection in kept)
            {
                _idle.Push(connection);
            }
        }
        foreach (var connection in expired)
        {
            connection.Dispose();
        }
    }

    public void Clear()
    {
        UpstreamConnection[] all;
        lock (_lock)
        {
            all = [.. _idle];
            _idle.Clear();
        }
        foreach (var connection in all)
        {
            connection.Dispose();
        }
    }

    private static bool Expired(UpstreamConnection connection, long now) =>
        now - connection.IdleSince >= (long)IdleTimeout.TotalMilliseconds || now - connection.Created >= (long)Lifetime.TotalMilliseconds;
}
