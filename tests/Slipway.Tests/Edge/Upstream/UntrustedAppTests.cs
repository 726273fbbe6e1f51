using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Slipway.Tests.Edge.Upstream;

/// <summary>Apps that misbehave in ways an HTTP library would not, against both forwarding paths where both apply
/// (the cases came from the lean path's outside review): late bytes on a pooled connection, keep-alive closes,
/// a POST the app received and dropped, header bytes outside ASCII, lengths Kestrel would refuse.</summary>
public sealed class UntrustedAppTests : IAsyncLifetime
{
    private readonly List<EdgeUnderTest> _edges = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var edge in _edges)
        {
            await edge.DisposeAsync();
        }
    }

    private async Task<(EdgeUnderTest Edge, ScriptedUpstream Upstream)> StartAsync(Func<string, Reply> reply, bool lean = true)
    {
        var edge = await EdgeUnderTest.StartAsync(lean: lean);
        _edges.Add(edge);
        var upstream = ScriptedUpstream.Start(reply);
        edge.RouteShopTo(EdgeUnderTest.Healthy(upstream.Port));
        return (edge, upstream);
    }

    private static Task<RawResponse> SendAsync(EdgeUnderTest edge, string method = "GET", string path = "/", params string[] extra) =>
        RawHttp.SendAsync(edge.Port, $"{method} {path} HTTP/1.1", ["Host: shop.localhost", .. extra]);

    /// <summary>Bytes that arrived on an idle connection are never read as the next answer: the edge checks at reuse.
    /// The limit of HTTP/1.1 reuse (SocketsHttpHandler's too): bytes the app sends after that check, while the next
    /// request is on its way, cannot be told from its answer.</summary>
    [Fact]
    public async Task Bytes_an_app_sent_late_on_a_pooled_connection_are_not_read_as_the_next_clients_response()
    {
        var (edge, upstream) = await StartAsync(head =>
        {
            var path = head.Split(' ')[1];
            var answer = $"HTTP/1.1 200 OK\r\nContent-Length: {path.Length}\r\n\r\n{path}";
            // A buggy app answers /alice twice (as one sending a HEAD body, or more than its Content-Length, would).
            return Reply.Text(path == "/alice" ? answer + "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nalice-secret" : answer);
        });
        await using var _ = upstream;

        (await SendAsync(edge, path: "/alice")).Body.Should().Be("/alice");
        await Task.Delay(100);
        var bob = await SendAsync(edge, path: "/bob");
        var carol = await SendAsync(edge, path: "/carol");

        bob.Body.Should().Be("/bob");
        carol.Body.Should().Be("/carol");
    }

    [Fact]
    public async Task When_the_app_closed_every_pooled_connection_a_get_still_succeeds_and_the_instance_stays_in()
    {
        var (edge, upstream) = await StartAsync(_ =>
        {
            Thread.Sleep(300); // both requests are in flight at once, so two connections are pooled
            return Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true);
        });
        await using var _ = upstream;
        (await Task.WhenAll(SendAsync(edge), SendAsync(edge))).Select(r => r.Status).Should().Equal(200, 200);
        await Task.Delay(200);

        (await SendAsync(edge)).Status.Should().Be(200);
        (await SendAsync(edge)).Status.Should().Be(200);
    }

    [Fact]
    public async Task A_post_the_app_received_and_dropped_unanswered_is_not_sent_again()
    {
        var (edge, upstream) = await StartAsync(head => head.StartsWith("POST", StringComparison.Ordinal)
            ? new Reply([], Close: true) // it may have charged the card before it died
            : Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using var _ = upstream;
        (await SendAsync(edge)).Status.Should().Be(200);

        var response = await SendAsync(edge, "POST", "/charge", "Content-Length: 0");

        response.Status.Should().Be(502);
        upstream.Heads.Count(h => h.StartsWith("POST", StringComparison.Ordinal)).Should().Be(1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_repeated_equal_content_length_is_one_length(bool lean)
    {
        var (edge, upstream) = await StartAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"), lean);
        await using var _ = upstream;

        var response = await SendAsync(edge);

        response.Status.Should().Be(200);
        response.Body.Should().Be("ok");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Utf8_in_a_response_header_passes_byte_for_byte(bool lean)
    {
        var (edge, upstream) = await StartAsync(_ => new Reply(Encoding.UTF8.GetBytes(
            "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"café.txt\"\r\nContent-Length: 2\r\n\r\nok")), lean);
        await using var _ = upstream;

        var response = await SendAsync(edge);

        response.Status.Should().Be(200);
        response.Header("Content-Disposition").Should().Be("attachment; filename=\"café.txt\"");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_204_with_a_content_length_is_a_204_without_one(bool lean)
    {
        var (edge, upstream) = await StartAsync(_ => Reply.Text("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"), lean);
        await using var _ = upstream;

        var response = await SendAsync(edge);

        response.Status.Should().Be(204);
        response.Header("Content-Length").Should().BeNull();
    }

    [Theory]
    [InlineData(true, "Content-Length: 5\r\n\r\nhello")]
    [InlineData(false, "Content-Length: 5\r\n\r\nhello")]
    [InlineData(true, "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    [InlineData(false, "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    public async Task A_205_with_a_body_is_a_205_without_one(bool lean, string rest)
    {
        var (edge, upstream) = await StartAsync(_ => Reply.Text("HTTP/1.1 205 Reset Content\r\n" + rest), lean);
        await using var _ = upstream;

        var response = await SendAsync(edge);

        response.Status.Should().Be(205);
        response.Body.Should().BeEmpty();
        (await SendAsync(edge)).Status.Should().Be(205, "the connection the body was left on is not reused");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Utf8_request_header_bytes_reach_the_app_unchanged(bool lean)
    {
        var (edge, upstream) = await StartAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), lean);
        await using var _ = upstream;

        // "José" as UTF-8 on the wire (RawHttp writes each char as one Latin-1 byte).
        var response = await SendAsync(edge, "GET", "/", "X-Name: Jos\u00C3\u00A9");

        response.Status.Should().Be(200);
        upstream.Heads.Single().Should().Contain("X-Name: Jos\u00C3\u00A9");
    }

    [Fact]
    public async Task A_clients_odd_header_on_an_upgrade_request_never_takes_the_instance_out()
    {
        var (edge, upstream) = await StartAsync(_ => Reply.Text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        await using var _ = upstream;

        await SendAsync(edge, "GET", "/", "Connection: Upgrade, close", "Upgrade: websocket", "X-Name: Jos\u00C3\u00A9");
        var next = await SendAsync(edge);

        next.Status.Should().Be(200);
    }
}
