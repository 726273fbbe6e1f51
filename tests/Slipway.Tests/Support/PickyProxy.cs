using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Tests.Support;

/// <summary>A TCP proxy on loopback that stops only some requests: a connection that sends a marker (a piece of the
/// request line, such as "/platform/") is held, sending nothing more either way until <see cref="Release"/> (a store
/// that is slow for one large upload), or reset (a store that fails for it); everything else passes. It looks for the
/// marker in each read as it comes, so it must sit in the request's first bytes, as a request line does.</summary>
internal sealed class PickyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private (byte[] Marker, bool Reset)? _rule;
    private TaskCompletionSource _released = Released();
    private TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopped;

    private PickyProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    public string Endpoint { get; }

    /// <summary>How many connections were held or reset for sending the marker.</summary>
    public int Stopped => Volatile.Read(ref _stopped);

    /// <summary>Completes when the first connection is held (since <see cref="Hold"/>).</summary>
    public Task Holding => _holding.Task;

    public static PickyProxy To(string endpoint) => new(new Uri(endpoint).Port);

    /// <summary>From now on a connection that sends <paramref name="marker"/> waits there until <see cref="Release"/>.</summary>
    public void Hold(string marker) => Arm(marker, reset: false);

    /// <summary>From now on a connection that sends <paramref name="marker"/> is reset.</summary>
    public void Refuse(string marker) => Arm(marker, reset: true);

    /// <summary>Held connections go on; nothing is stopped any more.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _rule = null;
            _released.TrySetResult();
        }
    }

    private void Arm(string marker, bool reset)
    {
        lock (_gate)
        {
            _released.TrySetResult();
            (_rule, _released, _holding) = ((Encoding.ASCII.GetBytes(marker), reset), Released(), new(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    private static TaskCompletionSource Released() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_gate)
                {
                    _connections.Add(ConnectAsync(client));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            await Task.WhenAll(ForwardAsync(client, target, watched: true), ForwardAsync(target, client, watched: false));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Reset(client);
            Reset(target);
        }
    }

    private async Task ForwardAsync(Socket from, Socket to, bool watched)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token)) > 0)
        {
            if (watched && Matches(buffer.AsSpan(0, read)) is { } rule)
            {
                Interlocked.Increment(ref _stopped);
                if (rule.Reset)
                {
                    Reset(from);
                    Reset(to);
                    return;
                }
                _holding.TrySetResult();
                await rule.Released.WaitAsync(_stop.Token);
            }
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
        to.Shutdown(SocketShutdown.Send);
    }

    private (bool Reset, Task Released)? Matches(ReadOnlySpan<byte> sent)
    {
        lock (_gate)
        {
            return _rule is { } rule && sent.IndexOf(rule.Marker) >= 0 ? (rule.Reset, _released.Task) : null;
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_gate)
        {
            connections = [_accepting, .. _connections];
        }
        await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
