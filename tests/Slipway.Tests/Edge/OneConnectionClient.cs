using System.Net.Sockets;

namespace Slipway.Tests.Edge;

/// <summary>An HttpClient as an ordinary .NET caller uses one (SocketsHttpHandler, keep-alive, no Accept-Encoding) held
/// to a single connection, counting the connections it opens: a test of keep-alive through the edge sends its
/// requests one after another and asserts they all went over one connection, each answered whole and in time.</summary>
internal sealed class OneConnectionClient : IDisposable
{
    private int _connections;

    public OneConnectionClient(TimeSpan timeout)
    {
        Http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, token) =>
            {
                Interlocked.Increment(ref _connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            Timeout = timeout,
        };
    }

    public HttpClient Http { get; }

    public int Connections => Volatile.Read(ref _connections);

    public void Dispose() => Http.Dispose();
}
