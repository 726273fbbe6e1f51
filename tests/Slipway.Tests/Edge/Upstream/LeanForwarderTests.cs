using System.Net;
using System.Text;

namespace Slipway.Tests.Edge.Upstream;

/// <summary>The lean HTTP/1.1 path to instances against an app that answers with scripted bytes: what a real
/// edge must do with apps that break HTTP's rules, close keep-alive connections, or frame bodies every legal way.</summary>
public sealed class LeanForwarderTests : IAsyncLifetime
{
    private EdgeUnderTest _edge = null!;

    public async Task InitializeAsync() => _edge = await EdgeUnderTest.StartAsync();

    public async Task DisposeAsync() => await _edge.DisposeAsync();

    private Task<ScriptedUpstream> RouteToAsync(Func<string, Reply> reply)
    {
        var upstream = ScriptedUpstream.Start(reply);
        _edge.RouteShopTo(EdgeUnderTest.Healthy(upstream.Port));
        return Task.FromResult(upstream);
    }

    private Task<RawResponse> GetAsync(string path = "/", string method = "GET") =>
        RawHttp.SendAsync(_edge.Port, $"{method} {path} HTTP/1.1", "Host: shop.localhost");

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\nSet-Cookie: admin=1\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\r\n Set-Cookie: admin=1\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!")]
    public async Task A_response_head_that_could_split_or_smuggle_is_answered_502_and_nothing_of_it_passes(string reply)
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text(reply));

        var response = await GetAsync();

        response.Status.Should().Be(502);
        response.Text.Should().NotContain("admin=1").And.NotContain("ok\r\n0");
        response.Body.Should().Contain("malformed");
    }

    [Fact]
    public async Task Keep_alive_connections_to_the_app_are_reused()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        for (var i = 0; i < 5; i++)
        {
            (await GetAsync()).Body.Should().Be("ok");
        }

        upstream.Connections.Should().Be(1);
    }

    [Fact]
    public async Task A_kept_alive_client_connection_gets_each_answer_whole_and_in_time_however_many_reads_it_took()
    {
        // Bodies longer than the edge's 16 KB receive buffer reach it in several reads, so the response head and the first
        // slices go out before the last slice is written: that slice must reach the client too, not wait in the edge for
        // the next response on the connection (or its keep-alive timeout) to push it out.
        var page = new string('p', 40_000);
        var error = new string('e', 20_000);
        await using var upstream = await RouteToAsync(head =>
            head.StartsWith("GET /page ", StringComparison.Ordinal)
                ? Reply.Text($"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {page.Length}\r\n\r\n{page}")
            : head.StartsWith("GET /stream ", StringComparison.Ordinal)
                ? Reply.Text("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + string.Concat(page.Chunk(10_000).Select(c => $"{c.Length:x}\r\n{new string(c)}\r\n")) + "0\r\n\r\n")
            : head.StartsWith("GET /error ", StringComparison.Ordinal)
                ? Reply.Text($"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: {error.Length}\r\n\r\n{error}")
            : Reply.Text("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"));
        using var client = new OneConnectionClient(TimeSpan.FromSeconds(3));

        for (var round = 0; round < 2; round++)
        {
            foreach (var (path, status, body) in new[] { ("/page", 200, page), ("/error", 500, error), ("/missing", 404, "not found"), ("/stream", 200, page), ("/page", 200, page) })
            {
                using var request = _edge.Request(HttpMethod.Get, path);
                using var response = await client.Http.SendAsync(request);
                ((int)response.StatusCode).Should().Be(status, path);
                (await response.Content.ReadAsStringAsync()).Should().Be(body, path);
            }
        }

        client.Connections.Should().Be(1, "every answer was framed whole, so the client kept its one connection");
        upstream.Connections.Should().Be(1);
    }

    [Fact]
    public async Task A_keep_alive_connection_the_app_closed_is_retried_on_a_new_one_without_an_error()
    {
        // An app whose keep-alive timeout is shorter than the edge's idle timeout closes connections the edge
        // still holds: closing right after each answer (without saying so) is the worst case of that.
        await using var upstream = await RouteToAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true));

        for (var i = 0; i < 4; i++)
        {
            var response = await GetAsync();
            response.Status.Should().Be(200);
            response.Body.Should().Be("ok");
        }
        upstream.Heads.Count.Should().Be(4, "each request reached the app once");
    }

    [Fact]
    public async Task A_post_without_a_body_goes_only_on_a_connection_the_app_has_not_closed_and_is_never_sent_twice()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true));

        for (var i = 0; i < 4; i++)
        {
            (await GetAsync(method: "POST")).Status.Should().Be(200);
            // The app has closed the connection the edge pooled before the next POST goes out (no timing guess).
            for (var waited = 0; upstream.Closed < i + 1 && waited < 1000; waited++)
            {
                await Task.Delay(10);
            }
        }
        upstream.Heads.Count.Should().Be(4);
        upstream.Connections.Should().Be(4, "each closed connection was seen closed before a POST was sent on it");
    }

    [Fact]
    public async Task A_post_whose_connection_the_app_drops_unanswered_is_not_retried()
    {
        var seen = 0;
        await using var upstream = await RouteToAsync(_ => Interlocked.Increment(ref seen) == 1
            ? Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            : new Reply([], Close: true)); // received, then the connection closed without an answer

        (await GetAsync(method: "POST")).Status.Should().Be(200);
        var second = await GetAsync(method: "POST");

        second.Status.Should().Be(502);
        upstream.Heads.Count.Should().Be(2, "the POST the app may have acted on was not sent again");
    }

    [Fact]
    public async Task A_chunked_answer_is_decoded_and_reaches_the_client_whole_with_its_trailers_dropped()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n" +
            "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: secret\r\n\r\n"));

        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("hello, world");
        response.TrailingHeaders.Should().BeEmpty();
        upstream.Connections.Should().Be(1);
    }

    [Fact]
    public async Task A_body_delimited_by_close_is_forwarded_whole()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + new string('x', 100_000), close: true));

        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"));

        (await response.Content.ReadAsStringAsync()).Should().Be(new string('x', 100_000));
    }

    [Fact]
    public async Task A_body_shorter_than_its_length_is_cut_off_for_the_client_too()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", close: true));

        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"), HttpCompletionOption.ResponseHeadersRead);

        await FluentActions.Awaiting(() => response.Content.ReadAsStringAsync()).Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task Interim_answers_are_read_past_and_the_final_one_forwarded()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text(
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"));

        var response = await GetAsync();

        response.Status.Should().Be(200);
        response.Body.Should().Be("final");
    }

    [Fact]
    public async Task A_head_request_reads_no_body_and_keeps_the_connection()
    {
        await using var upstream = await RouteToAsync(head => Reply.Text(head.StartsWith("HEAD", StringComparison.Ordinal)
            ? "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nget"));

        var head = await GetAsync(method: "HEAD");
        var get = await GetAsync();

        head.Header("Content-Length").Should().Be("1234");
        head.Body.Should().BeEmpty();
        get.Body.Should().Be("get");
        upstream.Connections.Should().Be(1);
    }

    [Fact]
    public async Task A_response_head_over_64_KB_is_refused()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text(
            "HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, 70).Select(i => $"X-{i}: {new string('v', 1000)}\r\n")) + "Content-Length: 2\r\n\r\nok"));

        (await GetAsync()).Status.Should().Be(502);
    }

    [Fact]
    public async Task Response_hop_by_hop_fields_and_those_connection_names_are_not_forwarded()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=5\r\nX-Internal: secret\r\nAlt-Svc: h3=\":4433\"\r\n" +
            "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Request-Id: from-app\r\nContent-Length: 2\r\n\r\nok"));

        var response = await GetAsync();

        response.Header("X-Internal").Should().BeNull();
        response.Header("Keep-Alive").Should().BeNull();
        response.Header("Alt-Svc").Should().BeNull("the app's own endpoints are not the edge's");
        response.Head.Split("\r\n").Where(l => l.StartsWith("Set-Cookie:", StringComparison.OrdinalIgnoreCase))
            .Should().Equal("Set-Cookie: a=1", "Set-Cookie: b=2");
        response.Header("X-Request-Id").Should().Be("from-app", "the app's value replaces the edge's, as before");
    }

    [Fact]
    public async Task The_request_head_is_written_once_with_the_edges_forwarding_fields_and_no_hop_by_hop_ones()
    {
        await using var upstream = await RouteToAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        await RawHttp.SendAsync(_edge.Port, "GET /a%2Fb?q=1 HTTP/1.1", "Host: shop.localhost", "Keep-Alive: 300",
            "X-Forwarded-For: 6.6.6.6", "Cookie: a=1", "Accept: text/html", "Connection: close");

        var head = upstream.Heads.Single();
        head.Should().StartWith("GET /a%2Fb?q=1 HTTP/1.1\r\nHost: shop.localhost\r\n");
        head.Should().Contain("\r\nX-Forwarded-For: 127.0.0.1\r\n").And.Contain("\r\nCookie: a=1\r\n").And.Contain("\r\nAccept: text/html\r\n");
        head.Should().Contain("\r\nX-Forwarded-Proto: http\r\n").And.Contain("\r\nX-Request-Id: ");
        head.Should().NotContain("6.6.6.6").And.NotContain("Keep-Alive").And.NotContain("Connection");
    }
}
