using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Slipway.Edge.Tls;

namespace Slipway.Tests.Edge.Tls;

/// <summary>The ClientHello peek's parser, over real ClientHellos that .NET's TLS client sends.</summary>
public sealed class ClientHelloTests
{
    [Theory]
    [InlineData(new[] { "acme-tls/1" }, true)]
    [InlineData(new[] { "h2", "acme-tls/1" }, true)]
    [InlineData(new[] { "h2", "http/1.1" }, false)]
    [InlineData(new string[0], false)]
    public async Task The_alpn_list_is_read_from_a_real_client_hello_whole_or_in_pieces(string[] protocols, bool offers)
    {
        var hello = await CaptureAsync(protocols);

        ClientHello.Read(new ReadOnlySequence<byte>(hello), out var whole).Should().Be(ClientHello.Outcome.Done);
        whole.Should().Be(offers);
        ClientHello.Read(Pieces(hello, 1), out var bytewise).Should().Be(ClientHello.Outcome.Done);
        bytewise.Should().Be(offers);
        ClientHello.Read(Pieces(hello, 7), out var sevens).Should().Be(ClientHello.Outcome.Done);
        sevens.Should().Be(offers);
        for (var length = 0; length < hello.Length; length += 13)
        {
            ClientHello.Read(new ReadOnlySequence<byte>(hello, 0, length), out _).Should().Be(ClientHello.Outcome.NeedMore, $"{length} of {hello.Length} bytes");
        }
    }

    [Fact]
    public async Task Malformed_or_foreign_input_never_throws_and_is_not_an_offer()
    {
        var hello = await CaptureAsync(["acme-tls/1"]);
        var random = new Random(24);
        for (var i = 0; i < 5000; i++)
        {
            var broken = (byte[])hello.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                broken[random.Next(5, broken.Length)] = (byte)random.Next(256);
            }
            ClientHello.Read(new ReadOnlySequence<byte>(broken), out _).Should().Be(ClientHello.Outcome.Done);
        }
        ClientHello.Read(new ReadOnlySequence<byte>("GET / HTTP/1.1\r\n"u8.ToArray()), out var http).Should().Be(ClientHello.Outcome.Done);
        http.Should().BeFalse();
        ClientHello.Read(new ReadOnlySequence<byte>([0x16, 3, 1, 0x40, 0x01]), out var huge).Should().Be(ClientHello.Outcome.Done, "a record over 16 KB is not TLS");
        huge.Should().BeFalse();
        // A ClientHello that says it goes on past its record (fragmented): not looked at, so not an offer.
        var fragmented = (byte[])hello.Clone();
        fragmented[6] = 0x7F;
        ClientHello.Read(new ReadOnlySequence<byte>(fragmented), out var rest).Should().Be(ClientHello.Outcome.Done);
        rest.Should().BeFalse();
    }

    /// <summary>The first TLS record a real .NET client sends, offering <paramref name="protocols"/> by ALPN.</summary>
    private static async Task<byte[]> CaptureAsync(string[] protocols)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var server = await listener.AcceptTcpClientAsync();
        var ssl = new SslStream(client.GetStream());
        var handshake = ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "shop.example.test",
            ApplicationProtocols = [.. protocols.Select(p => new SslApplicationProtocol(p))],
        });
        var stream = server.GetStream();
        var header = new byte[5];
        await stream.ReadExactlyAsync(header);
        var record = new byte[5 + ((header[3] << 8) | header[4])];
        header.CopyTo(record, 0);
        await stream.ReadExactlyAsync(record.AsMemory(5));
        server.Close();
        await FluentActions.Awaiting(() => handshake).Should().ThrowAsync<Exception>();
        await ssl.DisposeAsync();
        return record;
    }

    private static ReadOnlySequence<byte> Pieces(byte[] data, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < data.Length; offset += size)
        {
            var piece = data.AsMemory(offset, Math.Min(size, data.Length - offset));
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
