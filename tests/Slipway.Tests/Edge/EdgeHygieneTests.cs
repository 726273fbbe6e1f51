using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Slipway.Edge;
using Slipway.Manifests;

namespace Slipway.Tests.Edge;

/// <summary>Hostile HTTP/1.1 written by hand over raw sockets: request smuggling, oversize and slow headers,
/// spoofed forwarding headers. The backend records every request it receives, so a smuggled one would show.</summary>
public sealed class EdgeHygieneTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _received = new();
    private EdgeUnderTest _edge = null!;
    private LoopbackServer _backend = null!;

    public async Task InitializeAsync()
    {
        _edge = await EdgeUnderTest.StartAsync(trustedProxies: ["127.0.0.1"], headersTimeout: TimeSpan.FromSeconds(1));
        _backend = await LoopbackServer.StartAsync(async context =>
        {
            _received.Enqueue(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            await context.Response.WriteAsync($"target={context.Features.Get<IHttpRequestFeature>()!.RawTarget} body={body} " +
                $"xff={context.Request.Headers["X-Forwarded-For"]} proto={context.Request.Headers["X-Forwarded-Proto"]} " +
                $"forwarded={context.Request.Headers["Forwarded"]} real={context.Request.Headers["X-Real-IP"]}");
        });
        _edge.RouteShop(new RoutesSpec(), new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_backend.Port)], null));
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _backend.DisposeAsync();
    }

    /// <summary>Writes <paramref name="raw"/> as is and reads until the edge closes or 3 s pass.</summary>
    private async Task<string> ExchangeAsync(string raw, int seconds = 3)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _edge.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(raw));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Kept open or reset: what arrived so far is the answer.
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }

    [Fact]
    public async Task Content_length_with_transfer_encoding_never_smuggles_a_second_request()
    {
        var answer = await ExchangeAsync(
            "POST /first HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: shop.localhost\r\n\r\n");

        // Kestrel decodes such a message as chunked (Transfer-Encoding wins, RFC 9112 section 6.3) and closes the
        // connection after answering; the edge re-frames the body itself, so the app sees one unambiguous request.
        _received.Should().Equal("/first");
        answer.Should().Contain("target=/first body= ");
        answer.Should().Contain("Connection: close");
        answer.Should().NotContain("target=/smuggled");
    }

    [Fact]
    public async Task Duplicate_content_lengths_are_refused()
    {
        var answer = await ExchangeAsync(
            "POST /dup HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello");

        answer.Should().StartWith("HTTP/1.1 400");
        _received.Should().BeEmpty();
    }

    [Theory]
    [InlineData("zz\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")]
    [InlineData("-5\r\nhello\r\n0\r\n\r\n")]
    public async Task Bad_chunking_is_refused_and_nothing_after_it_is_forwarded(string chunks)
    {
        var answer = await ExchangeAsync(
            "POST /chunked HTTP/1.1\r\nHost: shop.localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks +
            "GET /smuggled HTTP/1.1\r\nHost: shop.localhost\r\n\r\n");

        answer.Should().StartWith("HTTP/1.1 400 ", "a malformed body is the client's fault, not a 502 blamed on the app: {0}", answer);
        answer.Should().NotContain("target=/smuggled");
        answer.Should().NotContain("body=hello");
        _received.Should().NotContain(target => target.Contains("smuggled"));
    }

    [Fact]
    public async Task An_obfuscated_transfer_encoding_is_not_treated_as_chunked_by_one_side_only()
    {
        var answer = await ExchangeAsync(
            "POST /te HTTP/1.1\r\nHost: shop.localhost\r\nTransfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n" +
            "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: shop.localhost\r\n\r\n");

        _received.Should().NotContain(target => target.Contains("smuggled"));
        answer.Should().NotContain("target=/smuggled");
    }

    [Fact]
    public async Task Oversize_headers_get_431_and_never_reach_the_app()
    {
        var answer = await ExchangeAsync(
            $"GET /big HTTP/1.1\r\nHost: shop.localhost\r\nX-Big: {new string('a', EdgeServer.MaxRequestHeadersBytes + 10)}\r\n\r\n");

        answer.Should().StartWith("HTTP/1.1 431");
        _received.Should().BeEmpty();
    }

    [Fact]
    public async Task A_client_sending_its_headers_too_slowly_is_disconnected()
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", _edge.Port);
        var stream = client.GetStream();
        var clock = Stopwatch.StartNew();
        var closed = false;
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: shop.localhost\r\n"));
        // One header byte every 200 ms: never finishing, always "active". The 1 s header timeout must end it.
        while (clock.Elapsed < TimeSpan.FromSeconds(8))
        {
            try
            {
                await stream.WriteAsync("X"u8.ToArray());
                await Task.Delay(200);
                if (client.Client.Poll(0, SelectMode.SelectRead) && client.Client.Available == 0)
                {
                    closed = true;
                    break;
                }
            }
            catch (IOException)
            {
                closed = true;
                break;
            }
        }

        closed.Should().BeTrue("a slowloris connection must not be kept open");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        _received.Should().BeEmpty();
    }

    [Fact]
    public async Task A_body_sent_too_slowly_is_answered_408_not_blamed_on_the_app()
    {
        // 10 bytes of a declared 100000, then nothing: below Kestrel's minimum body rate once its 5 s grace is over.
        var answer = await ExchangeAsync("POST /slow HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 100000\r\n\r\n0123456789", seconds: 15);

        answer.Should().StartWith("HTTP/1.1 408 ", answer);
    }

    [Fact]
    public async Task A_trusted_proxy_s_forwarded_for_is_kept_and_extended()
    {
        var response = await RawHttp.SendAsync(_edge.Port, "GET /xff HTTP/1.1", "Host: shop.localhost",
            "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https", "Forwarded: for=203.0.113.7;proto=https", "X-Real-IP: 203.0.113.7");

        response.Body.Should().Contain("xff=203.0.113.7, 127.0.0.1").And.Contain("proto=https")
            .And.Contain("forwarded=for=203.0.113.7;proto=https, for=127.0.0.1;host=shop.localhost;proto=http")
            .And.Contain("real=203.0.113.7", "a trusted proxy's X-Real-IP is the client's");
    }
}
