using Microsoft.AspNetCore.Http;

namespace Slipway.Tests.Edge;

/// <summary>Which headers cross the edge: hop-by-hop ones do not, forwarding headers and a request id are the edge's own.</summary>
public sealed class ForwarderHeaderTests : ForwarderTestBase
{
    [Fact]
    public async Task Hop_by_hop_headers_are_not_forwarded()
    {
        var response = await RawHttp.SendAsync(Edge.Port, "GET /hop HTTP/1.1",
            "Host: shop.localhost",
            "Connection: X-Custom, x-other",
            "X-Custom: per-hop",
            "X-Other: per-hop-too",
            "Keep-Alive: timeout=5",
            "TE: trailers",
            "Upgrade: foo/1",
            "Proxy-Connection: keep-alive",
            "Proxy-Authorization: Basic eDp5",
            "X-End-To-End: kept");

        var echo = Parse(response.Body);
        echo.Headers.Keys.Should().NotContain(["connection", "x-custom", "x-other", "keep-alive", "te", "upgrade",
            "proxy-connection", "proxy-authorization"]);
        echo.Header("x-end-to-end").Should().Be("kept");
    }

    [Theory]
    [InlineData("keep-alive, X-Custom")]
    [InlineData("close, X-Custom")]
    public async Task A_header_named_in_connection_is_not_forwarded_beside_keep_alive_or_close(string connection)
    {
        var response = await RawHttp.SendAsync(Edge.Port, "GET /hop HTTP/1.1",
            "Host: shop.localhost", $"Connection: {connection}", "X-Custom: per-hop");

        Parse(response.Body).Headers.Keys.Should().NotContain("x-custom");
    }

    [Fact]
    public async Task Hop_by_hop_response_headers_are_not_copied_back()
    {
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.Headers["Keep-Alive"] = "timeout=99";
            context.Response.Headers["Proxy-Authenticate"] = "Basic";
            context.Response.Headers["Upgrade"] = "foo/1";
            context.Response.Headers["X-Kept"] = "yes";
            await context.Response.WriteAsync("ok");
        });
        Edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));

        var response = await RawHttp.SendAsync(Edge.Port, "GET / HTTP/1.1", "Host: shop.localhost");

        response.Header("Keep-Alive").Should().BeNull();
        response.Header("Proxy-Authenticate").Should().BeNull();
        response.Header("Upgrade").Should().BeNull();
        response.Header("X-Kept").Should().Be("yes");
    }

    [Fact]
    public async Task The_edge_sets_x_forwarded_headers_and_replaces_what_the_client_sent()
    {
        using var request = Edge.Request(HttpMethod.Get, "/");
        request.Headers.Host = $"shop.localhost:{Edge.Port}";
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "bank.example.com");
        request.Headers.TryAddWithoutValidation("Forwarded", "for=6.6.6.6;host=bank.example.com;proto=https");
        request.Headers.TryAddWithoutValidation("X-Real-IP", "6.6.6.6");

        var echo = await SendAsync(request);

        echo.Headers["x-forwarded-for"].Should().Equal("127.0.0.1");
        echo.Headers["x-forwarded-proto"].Should().Equal("http");
        echo.Headers["x-forwarded-host"].Should().Equal($"shop.localhost:{Edge.Port}");
        echo.Headers["forwarded"].Should().Equal([$"for=127.0.0.1;host=\"shop.localhost:{Edge.Port}\";proto=http"], "RFC 7239, from the connection");
        echo.Headers["x-real-ip"].Should().Equal("127.0.0.1");
    }

    [Fact]
    public async Task The_host_header_reaches_the_instance_unchanged()
    {
        using var request = Edge.Request(HttpMethod.Get, "/", host: $"SHOP.localhost:{Edge.Port}");

        (await SendAsync(request)).Headers["host"].Should().Equal($"SHOP.localhost:{Edge.Port}");
    }

    [Fact]
    public async Task A_request_id_is_generated_when_absent_and_unique_per_request()
    {
        using var first = Edge.Request(HttpMethod.Get, "/");
        using var second = Edge.Request(HttpMethod.Get, "/");

        var a = (await SendAsync(first)).Header("x-request-id");
        var b = (await SendAsync(second)).Header("x-request-id");

        a.Should().NotBeNullOrWhiteSpace();
        b.Should().NotBeNullOrWhiteSpace().And.NotBe(a);
    }

    [Fact]
    public async Task A_request_id_from_the_client_is_passed_through()
    {
        using var request = Edge.Request(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-Id", "req-from-client-42");

        (await SendAsync(request)).Headers["x-request-id"].Should().Equal("req-from-client-42");
    }
}
