using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Slipway.Edge;

namespace Slipway.Tests.Edge;

/// <summary>Http1RequestScanner and ConnectionTokensFeature fed raw request bytes in every way a socket can split
/// them: whole, in two at each boundary, one byte per read, and as one sequence of one-byte segments.</summary>
public sealed class ConnectionTokensTests
{
    [Theory]
    [InlineData("keep-alive, X-Foo", new[] { "keep-alive", "X-Foo" })]
    [InlineData("close, x-foo", new[] { "close", "x-foo" })]
    [InlineData("X-Foo , ,keep-alive,\tX-Bar\t", new[] { "X-Foo", "keep-alive", "X-Bar" })]
    [InlineData("Upgrade, HTTP2-Settings", new[] { "Upgrade", "HTTP2-Settings" })]
    public void A_head_listing_another_name_gives_every_token(string connection, string[] expected) =>
        EverySplit($"GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\n\r\n", feature =>
            Take(feature, "GET", "/a?b=c").Should().Equal(expected));

    [Fact]
    public void Two_connection_lines_give_the_tokens_of_both() =>
        EverySplit("GET / HTTP/1.1\r\nconnection: keep-alive\r\nHost: x\r\nCONNECTION: X-Foo, X-Bar\r\n\r\n", feature =>
            Take(feature, "GET", "/").Should().Equal("keep-alive", "X-Foo", "X-Bar"));

    [Theory]
    [InlineData("Connection: keep-alive\r\n")]
    [InlineData("Connection: close\r\nConnection: Keep-Alive\r\n")]
    [InlineData("")]
    public void A_head_whose_tokens_kestrel_keeps_has_no_entry(string header) =>
        EverySplit($"GET / HTTP/1.1\r\n{header}\r\n", feature => Take(feature, "GET", "/").Should().BeNull());

    [Fact]
    public void Pipelined_heads_are_answered_in_order_whichever_have_entries() =>
        EverySplit(
            "\r\nGET /1 HTTP/1.1\r\nConnection: keep-alive, X-A\r\n\r\n" +
            "GET /2 HTTP/1.1\r\nConnection: keep-alive\r\n\r\n" +
            "DELETE /3 HTTP/1.0\nConnection: close, X-C\n\n", // bare LF ends a head line for Kestrel too
            feature =>
            {
                Take(feature, "GET", "/1").Should().Equal("keep-alive", "X-A");
                Take(feature, "GET", "/2").Should().BeNull();
                Take(feature, "DELETE", "/3").Should().Equal("close", "X-C");
            });

    [Fact]
    public void A_content_length_body_is_skipped_even_when_it_looks_like_a_head()
    {
        const string fake = "GET /fake HTTP/1.1\r\nConnection: keep-alive, X-Fake\r\n\r\n";
        EverySplit(
            $"POST /a HTTP/1.1\r\nContent-Length: {fake.Length}\r\n\r\n{fake}" +
            "GET /b HTTP/1.1\r\nConnection: keep-alive, X-B\r\n\r\n",
            feature =>
            {
                Take(feature, "POST", "/a").Should().BeNull();
                Take(feature, "GET", "/b").Should().Equal("keep-alive", "X-B");
            });
    }

    [Fact]
    public void A_chunked_body_with_extensions_and_trailers_is_skipped()
    {
        const string body = "Connection: x\r\n\r\nGET /fake HTTP/1.1\r\n\r\n";
        EverySplit(
            "PUT /up HTTP/1.1\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n" +
            "Connection: keep-alive, X-Up\r\n\r\n" +
            $"{body.Length:x};name=\"quoted;value\"\r\n{body}\r\n" +
            "1A;a;b=c\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
            "000\r\nConnection: X-Trailer\r\nChecksum: 1\n\r\n" +
            "GET /next HTTP/1.1\r\nConnection: close, X-Next\r\n\r\n",
            feature =>
            {
                Take(feature, "PUT", "/up").Should().Equal("keep-alive", "X-Up");
                Take(feature, "GET", "/next").Should().Equal("close", "X-Next");
            });
    }

    [Theory]
    [InlineData("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade, X-U\r\n\r\n", "GET", "/ws", "Upgrade")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nConnection: keep-alive, X-U\r\n\r\n", "CONNECT", "example.com:443", "keep-alive")]
    public void After_an_upgrade_or_a_connect_scanning_stops(string head, string method, string target, string first) =>
        // What follows may be WebSocket frames or a tunnel, whatever it looks like.
        EverySplit(head + "GET /after HTTP/1.1\r\nConnection: keep-alive, X-After\r\n\r\n", (feature, stopped) =>
        {
            stopped.Should().BeTrue();
            Take(feature, method, target).Should().Equal(first, "X-U");
            Take(feature, "GET", "/after").Should().BeNull();
        });

    [Fact]
    public void The_http2_preface_stops_scanning() =>
        EverySplit("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nGET / HTTP/1.1\r\nConnection: keep-alive, X-Foo\r\n\r\n", (feature, stopped) =>
        {
            stopped.Should().BeTrue();
            Take(feature, "GET", "/").Should().BeNull();
        });

    [Theory]
    [InlineData("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")]              // Kestrel: 400
    [InlineData("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\nx")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nno colon\r\n\r\n")]
    [InlineData("GET / HTTP/3\r\n\r\n")]
    public void Framing_it_does_not_understand_stops_scanning(string head) =>
        EverySplit(head + "GET /after HTTP/1.1\r\nConnection: keep-alive, X-After\r\n\r\n", (feature, stopped) =>
        {
            stopped.Should().BeTrue();
            Take(feature, "GET", "/after").Should().BeNull();
        });

    [Fact]
    public void A_head_over_64_KB_stops_scanning()
    {
        var feature = new ConnectionTokensFeature();
        using var scanner = new Http1RequestScanner(feature);
        scanner.Scan(Bytes("GET / HTTP/1.1\r\nConnection: keep-alive, X-Foo\r\nX-Big: "));
        for (var i = 0; i < 64 && !scanner.Stopped; i++)
        {
            scanner.Scan(Bytes(new string('a', 1024)));
        }
        scanner.Stopped.Should().BeTrue();
        scanner.Scan(Bytes("\r\n\r\n"));
        Take(feature, "GET", "/").Should().BeNull();
    }

    [Fact]
    public void A_mismatch_answers_nothing_from_then_on_rather_than_another_requests_tokens()
    {
        var feature = new ConnectionTokensFeature();
        using var scanner = new Http1RequestScanner(feature);
        scanner.Scan(Bytes("GET /1 HTTP/1.1\r\nConnection: keep-alive, X-1\r\n\r\nGET /2 HTTP/1.1\r\nConnection: keep-alive, X-2\r\n\r\n"));

        // The handler skipped request /1 (or disagreed with the scanner on where it ended): /1's entry is now first.
        Take(feature, "GET", "/2").Should().BeNull();
        Take(feature, "GET", "/2").Should().BeNull();
        scanner.Scan(Bytes("GET /3 HTTP/1.1\r\nConnection: keep-alive, X-3\r\n\r\n"));
        scanner.Stopped.Should().BeTrue();
        Take(feature, "GET", "/3").Should().BeNull();
    }

    [Fact]
    public void Heads_with_entries_pipelined_beyond_the_limit_stop_scanning()
    {
        var feature = new ConnectionTokensFeature();
        using var scanner = new Http1RequestScanner(feature);
        var heads = Enumerable.Range(0, ConnectionTokensFeature.MaxPending + 1)
            .Select(i => $"GET /{i} HTTP/1.1\r\nConnection: X-{i}\r\n\r\n");
        scanner.Scan(Bytes(string.Concat(heads)));

        scanner.Stopped.Should().BeTrue();
        for (var i = 0; i < ConnectionTokensFeature.MaxPending; i++)
        {
            Take(feature, "GET", $"/{i}").Should().Equal($"X-{i}");
        }
        Take(feature, "GET", $"/{ConnectionTokensFeature.MaxPending}").Should().BeNull();
    }

    [Fact]
    public void The_common_request_costs_no_allocation()
    {
        var head = Bytes("POST /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc");
        var feature = new ConnectionTokensFeature();
        using var scanner = new Http1RequestScanner(feature);
        scanner.Scan(head); // rents the connection's buffer
        feature.TryTake("POST", "/a", out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            scanner.Scan(head);
            feature.TryTake("POST", "/a", out _);
        }
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
        scanner.Stopped.Should().BeFalse();
    }

    [Fact]
    public async Task The_middleware_passes_every_byte_through_and_scans_each_once_however_the_parser_consumes()
    {
        var text = Encoding.Latin1.GetBytes(
            "POST /1 HTTP/1.1\r\nContent-Length: 5\r\nConnection: keep-alive, X-1\r\n\r\nhello" +
            "GET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\nConnection: close, X-3\r\n\r\n");
        // A small pipe makes the writer wait for the reader, so reads see the bytes a few at a time.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 16, resumeWriterThreshold: 8));
        var connection = new DefaultConnectionContext { Transport = new TestDuplexPipe(pipe.Reader, new Pipe().Writer) };
        var writing = Task.Run(async () =>
        {
            for (var i = 0; i < text.Length; i += 5)
            {
                await pipe.Writer.WriteAsync(text.AsMemory(i, Math.Min(5, text.Length - i)));
            }
            await pipe.Writer.CompleteAsync();
        });
        var passed = new List<byte>();
        IConnectionTokensFeature? feature = null;

        await ConnectionTokenCapture.Middleware(async context =>
        {
            // Like Kestrel's parser: take a few bytes of what is there and ask again, so most reads start with bytes
            // returned before.
            var input = context.Transport.Input;
            while (true)
            {
                var result = input.TryRead(out var ready) ? ready : await input.ReadAsync();
                var taken = Math.Min(result.Buffer.Length, 7);
                passed.AddRange(result.Buffer.Slice(0, taken).ToArray());
                input.AdvanceTo(result.Buffer.GetPosition(taken));
                if (result.IsCompleted && taken == result.Buffer.Length)
                {
                    break;
                }
            }
            feature = context.Features.Get<IConnectionTokensFeature>();
        })(connection);
        await writing;

        passed.Should().Equal(text);
        connection.Transport.Input.Should().BeSameAs(pipe.Reader, "the middleware puts the transport back");
        Take(feature!, "POST", "/1").Should().Equal("keep-alive", "X-1");
        Take(feature!, "GET", "/2").Should().BeNull();
        Take(feature!, "GET", "/3").Should().Equal("close", "X-3");
    }

    private static IReadOnlyList<string>? Take(IConnectionTokensFeature feature, string method, string target) =>
        feature.TryTake(method, target, out var tokens) ? tokens : null;

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.Latin1.GetBytes(text));

    private static void EverySplit(string text, Action<ConnectionTokensFeature> check) =>
        EverySplit(text, (feature, _) => check(feature));

    private static void EverySplit(string text, Action<ConnectionTokensFeature, bool> check)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var ways = Enumerable.Range(0, bytes.Length + 1)
            .Select(at => ($"split at {at}", new[] { new ReadOnlySequence<byte>(bytes, 0, at), new ReadOnlySequence<byte>(bytes, at, bytes.Length - at) }))
            .Append(("one byte per read", bytes.Select((_, i) => new ReadOnlySequence<byte>(bytes, i, 1)).ToArray()))
            .Append(("one-byte segments", new[] { OneByteSegments(bytes) }));
        foreach (var (way, reads) in ways)
        {
            var feature = new ConnectionTokensFeature();
            using var scanner = new Http1RequestScanner(feature);
            foreach (var read in reads)
            {
                scanner.Scan(read);
            }
            try
            {
                check(feature, scanner.Stopped);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"{way}: {e.Message}", e);
            }
        }
    }

    private static ReadOnlySequence<byte> OneByteSegments(byte[] bytes)
    {
        var first = new Segment(bytes.AsMemory(0, 1), null);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = new Segment(bytes.AsMemory(i, 1), last);
        }
        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                previous.Next = this;
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
            }
        }
    }

    private sealed class TestDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;

        public PipeWriter Output => output;
    }
}
