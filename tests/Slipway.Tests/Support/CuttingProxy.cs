using System.Net;
using System.Net.Sockets;

namespace Slipway.Tests.Support;

/// <summary>A TCP proxy on loopback that cuts the network where a test says: after so many bytes sent towards the
/// target, the connection carrying them is reset (a cable pulled mid-request), once or from then on for every
/// connection, until <see cref="Heal"/>. It forwards bytes and knows nothing of what they mean.</summary>
internal sealed class CuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Task> _pumps = [];
    private long _budget = long.MaxValue;
    private bool _cutForGood;
    private bool _down;
    private int _cuts;

    private CuttingProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _pumps.Add(AcceptAsync());
    }

    public string Endpoint { get; }

    /// <summary>How many connections were reset (cut mid-way, or as soon as made while the cut lasts).</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    public static CuttingProxy To(string endpoint) => new(new Uri(endpoint).Port);

    /// <summary>The connection that carries byte <paramref name="bytes"/> from now on is reset; later ones pass.</summary>
    public void CutOnceAfter(long bytes) => Arm(bytes, forGood: false);

    /// <summary>As <see cref="CutOnceAfter"/>, and from then on every connection is reset as soon as it is made.</summary>
    public void CutForGoodAfter(long bytes) => Arm(bytes, forGood: true);

    public void Heal()
    {
        lock (_gate)
        {
            (_budget, _cutForGood, _down) = (long.MaxValue, false, false);
        }
    }

    private void Arm(long bytes, bool forGood)
    {
        lock (_gate)
        {
            (_budget, _cutForGood, _down) = (bytes, forGood, false);
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            bool down;
            lock (_gate)
            {
                down = _down;
            }
            if (down)
            {
                Interlocked.Increment(ref _cuts);
                Reset(client);
                continue;
            }
            var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                Reset(client);
                target.Dispose();
                continue;
            }
            lock (_gate)
            {
                _pumps.Add(PumpAsync(client, target, counted: true));
                _pumps.Add(PumpAsync(target, client, counted: false));
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool counted)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (counted && Spend(read))
                {
                    Interlocked.Increment(ref _cuts);
                    Reset(from);
                    Reset(to);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    /// <summary>Takes <paramref name="bytes"/> from the budget: true when this is where the cut falls.</summary>
    private bool Spend(int bytes)
    {
        lock (_gate)
        {
            if (_down)
            {
                return true;
            }
            if (_budget == long.MaxValue)
            {
                return false;
            }
            _budget -= bytes;
            if (_budget >= 0)
            {
                return false;
            }
            _budget = long.MaxValue;
            _down = _cutForGood;
            return true;
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
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] pumps;
        lock (_gate)
        {
            pumps = [.. _pumps];
        }
        await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
