using System.Net;
using System.Net.Sockets;

namespace Slipway.Runtime;

/// <summary>Hands out free loopback ports for new instances; never the same port twice while it is held.</summary>
internal sealed class PortAllocator
{
    private readonly HashSet<int> _held = [];
    private readonly Lock _gate = new();

    public int Allocate()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            lock (_gate)
            {
                if (_held.Add(port))
                {
                    return port;
                }
            }
        }
        throw new InvalidOperationException("no free loopback port found");
    }

    /// <summary>A port an adopted instance already listens on: never handed out while it is held.</summary>
    public void Reserve(int port)
    {
        lock (_gate)
        {
            _held.Add(port);
        }
    }

    public void Release(int port)
    {
        lock (_gate)
        {
            _held.Remove(port);
        }
    }
}
