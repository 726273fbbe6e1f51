using System.Net;
using System.Net.Sockets;
using Slipway.Tests.Support;

namespace Slipway.Tests;

/// <summary>SCM_RIGHTS through the hand-laid msghdr: what a handover and the descriptor store rest on.</summary>
public sealed class FdPassingTests
{
    [Fact]
    public async Task Listening_sockets_sent_with_a_message_arrive_as_the_same_sockets_and_accept_connections()
    {
        var dir = TempDirs.Create("fdpass");
        try
        {
            var (client, server) = await ConnectedPairAsync(dir);
            using var clientSide = client;
            using var serverSide = server;

            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            first.Listen(8);
            using var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            second.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            second.Listen(8);

            FdPassing.Send(server, "TAKE=1\nNAMES=a,b", [(int)first.Handle, (int)second.Handle]);
            var (text, fds) = FdPassing.Receive(client, TimeSpan.FromSeconds(5));

            text.Should().Be("TAKE=1\nNAMES=a,b");
            fds.Should().HaveCount(2);
            fds.Should().NotContain([(int)first.Handle, (int)second.Handle], "they are new descriptors of the same sockets");
            using var a = FdPassing.SocketOf(fds[0]);
            using var b = FdPassing.SocketOf(fds[1]);
            a.LocalEndPoint.Should().Be(first.LocalEndPoint);
            b.LocalEndPoint.Should().Be(second.LocalEndPoint);

            // The original closes; the received copy still accepts what connects (the socket lives on).
            var port = ((IPEndPoint)first.LocalEndPoint!).Port;
            first.Dispose();
            using var connecting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await connecting.ConnectAsync(IPAddress.Loopback, port);
            using var accepted = await a.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(5));
            accepted.RemoteEndPoint.Should().Be(connecting.LocalEndPoint);
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    [Fact]
    public async Task A_receive_that_gets_nothing_within_its_timeout_says_so()
    {
        var dir = TempDirs.Create("fdpass-timeout");
        try
        {
            var (client, server) = await ConnectedPairAsync(dir);
            using var clientSide = client;
            using var serverSide = server;
            var receive = () => FdPassing.Receive(client, TimeSpan.FromMilliseconds(200));
            receive.Should().Throw<TimeoutException>();
        }
        finally
        {
            TempDirs.Delete(dir);
        }
    }

    /// <summary>Two ends of a Unix seqpacket connection, as a handover uses (the listener is gone once they are made).</summary>
    private static async Task<(Socket Client, Socket Server)> ConnectedPairAsync(string dir)
    {
        var path = Path.Combine(dir, "h.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Seqpacket, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return (client, await listener.AcceptAsync());
    }
}
