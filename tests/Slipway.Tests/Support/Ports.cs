using System.Net;
using System.Net.Sockets;

namespace Slipway.Tests.Support;

internal static class Ports
{
    /// <summary>A loopback port free right now (for servers that must be told their port up front).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
