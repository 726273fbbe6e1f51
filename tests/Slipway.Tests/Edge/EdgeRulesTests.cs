using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Slipway.Edge;
using Slipway.Manifests;

namespace Slipway.Tests.Edge;

/// <summary>The rules a manifest declares under "routes", applied by the real edge to a real backend.</summary>
public sealed class EdgeRulesTests : IAsyncLifetime
{
    private EdgeUnderTest _edge = null!;
    private LoopbackServer _web = null!;
    private LoopbackServer _api = null!;

    public async Task InitializeAsync()
    {
        _edge = await EdgeUnderTest.StartAsync(trustedProxies: ["10.9.9.9"]);
        _web = await Backend.StartAsync();
        _api = await Backend.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _web.DisposeAsync();
        await _api.DisposeAsync();
    }

    private void Route(RoutesSpec spec) => _edge.RouteShop(spec,
        new ServiceRoute("api", "/api", [EdgeUnderTest.Healthy(_api.Port)], null),
        new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_web.Port)], null));

    private async Task<HttpResponseMessage> GetAsync(string target, params (string Name, string Value)[] headers)
    {
        var request = _edge.Request(HttpMethod.Get, target);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await _edge.Http.SendAsync(request);
    }

    private static async Task<Seen> SeenAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return Backend.Parse(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/old/post-1?ref=x", 308, "/blog/post-1?ref=x")]
    [InlineData("/tmp/a/b", 307, "https://example.org/a/b")]
    [InlineData("/moved", 301, "/new?from=moved")]
    public async Task Redirects_answer_at_the_edge_with_captured_segments_and_the_query_kept(string target, int status, string location)
    {
        Route(new RoutesSpec
        {
            Redirects =
            [
                new RouteRedirect { Source = "/old/:slug", Destination = "/blog/:slug" },
                new RouteRedirect { Source = "/tmp/:path*", Destination = "https://example.org/:path*", StatusCode = 307 },
                new RouteRedirect { Source = "/moved", Destination = "/new?from=moved", StatusCode = 301 },
            ],
        });

        using var response = await GetAsync(target);

        ((int)response.StatusCode).Should().Be(status);
        response.Headers.Location!.OriginalString.Should().Be(location);
    }

    [Fact]
    public async Task A_rewrite_serves_another_path_without_the_client_seeing_it_and_can_cross_services()
    {
        Route(new RoutesSpec
        {
            Rewrites =
            [
                new RouteRewrite { Source = "/v1/:path*", Destination = "/api/:path*?version=1" },
                new RouteRewrite { Source = "/about", Destination = "/pages/about" },
            ],
        });

        using var toApi = await GetAsync("/v1/users/7?sort=asc");
        using var toWeb = await GetAsync("/about");
        using var untouched = await GetAsync("/api/direct");

        var api = await SeenAsync(toApi);
        api.Target.Should().Be("/api/users/7?version=1&sort=asc");
        api.Headers["host"].Should().Be("shop.localhost");
        (await SeenAsync(toWeb)).Target.Should().Be("/pages/about");
        (await SeenAsync(untouched)).Target.Should().Be("/api/direct");
    }

    [Fact]
    public async Task A_rewrite_to_an_external_url_is_proxied_with_that_host()
    {
        await using var external = await Backend.StartAsync();
        Route(new RoutesSpec
        {
            Rewrites = [new RouteRewrite { Source = "/ext/:path*", Destination = $"http://127.0.0.1:{external.Port}/origin/:path*" }],
        });

        var seen = await SeenAsync(await GetAsync("/ext/a/b?q=1"));

        seen.Target.Should().Be("/origin/a/b?q=1");
        seen.Headers["host"].Should().Be($"127.0.0.1:{external.Port}");
    }

    [Fact]
    public async Task Declared_headers_are_added_to_matching_paths_only()
    {
        Route(new RoutesSpec
        {
            Headers =
            [
                new RouteHeaders
                {
                    Source = "/widget.js",
                    Headers = [new HeaderValue("Access-Control-Allow-Origin", "*"), new HeaderValue("Cache-Control", "public, max-age=3600")],
                },
            ],
        });

        using var widget = await GetAsync("/widget.js");
        using var other = await GetAsync("/other.js");

        widget.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("*");
        widget.Headers.CacheControl!.MaxAge.Should().Be(TimeSpan.FromHours(1));
        other.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
    }

    [Fact]
    public async Task Cors_preflight_is_answered_at_the_edge_and_only_allowed_origins_get_access()
    {
        Route(new RoutesSpec
        {
            Cors =
            [
                new CorsRule
                {
                    Source = "/api/:path*", Origins = ["https://app.example.com"], Credentials = true, ExposeHeaders = ["X-Total"],
                    MaxAge = TimeSpan.FromMinutes(5),
                },
            ],
        });

        var preflight = _edge.Request(HttpMethod.Options, "/api/orders");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type, authorization");
        using var allowed = await _edge.Http.SendAsync(preflight);
        var evil = _edge.Request(HttpMethod.Options, "/api/orders");
        evil.Headers.Add("Origin", "https://evil.example.net");
        evil.Headers.Add("Access-Control-Request-Method", "PUT");
        using var refused = await _edge.Http.SendAsync(evil);
        using var simple = await GetAsync("/api/orders", ("Origin", "https://app.example.com"));

        allowed.StatusCode.Should().Be(HttpStatusCode.NoContent, "the edge answers the preflight, not the app");
        allowed.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("https://app.example.com");
        allowed.Headers.GetValues("Access-Control-Allow-Credentials").Should().Equal("true");
        allowed.Headers.GetValues("Access-Control-Allow-Methods").Single().Should().Contain("PUT");
        allowed.Headers.GetValues("Access-Control-Allow-Headers").Single().Should().Contain("authorization");
        allowed.Headers.GetValues("Access-Control-Max-Age").Should().Equal("300");
        refused.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
        (await SeenAsync(simple)).Method.Should().Be("GET");
        simple.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("https://app.example.com");
        simple.Headers.GetValues("Access-Control-Expose-Headers").Should().Equal("X-Total");
    }

    [Fact]
    public async Task A_rate_limit_answers_429_with_retry_after_per_client_and_per_route()
    {
        Route(new RoutesSpec
        {
            RateLimits = [new RateLimitRule { Source = "/api/:path*", Limit = 3, Window = TimeSpan.FromMinutes(1) }],
        });

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await GetAsync("/api/login");
            statuses.Add((int)response.StatusCode);
            if (i == 3)
            {
                response.Headers.RetryAfter!.Delta!.Value.TotalSeconds.Should().BeInRange(1, 60);
            }
        }
        using var otherRoute = await GetAsync("/home");

        statuses.Should().Equal(200, 200, 200, 429);
        otherRoute.StatusCode.Should().Be(HttpStatusCode.OK, "the limit covers /api/ only");
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit_and_its_address_is_kept()
    {
        Route(new RoutesSpec
        {
            RateLimits = [new RateLimitRule { Source = "/(.*)", Limit = 1, Window = TimeSpan.FromMinutes(1), Mode = RateLimitWindow.Sliding }],
        });

        // The peer is 127.0.0.1, which is not trusted: a spoofed X-Forwarded-For changes nothing.
        using var first = await GetAsync("/a", ("X-Forwarded-For", "1.1.1.1"));
        using var spoofed = await GetAsync("/a", ("X-Forwarded-For", "2.2.2.2"));

        (await SeenAsync(first)).Headers["x-forwarded-for"].Should().Be("127.0.0.1");
        spoofed.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "a client cannot dodge the limit by inventing addresses");
    }

    [Fact]
    public async Task Security_headers_are_sent_by_default_overridable_and_the_apps_own_win()
    {
        Route(new RoutesSpec());
        using var plain = await GetAsync("/");
        using var own = await GetAsync("/set-headers");
        Route(new RoutesSpec
        {
            SecurityHeaders = new Dictionary<string, string?>
            {
                ["X-Frame-Options"] = "DENY", ["Permissions-Policy"] = null, ["Content-Security-Policy"] = "default-src 'self'",
            },
        });
        using var declared = await GetAsync("/");

        plain.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        plain.Headers.GetValues("X-Frame-Options").Should().Equal("SAMEORIGIN");
        plain.Headers.GetValues("Referrer-Policy").Should().Equal("strict-origin-when-cross-origin");
        plain.Headers.Contains("Permissions-Policy").Should().BeTrue();
        plain.Headers.Contains("Content-Security-Policy").Should().BeFalse("a CSP is sent only when declared");
        plain.Headers.Contains("Strict-Transport-Security").Should().BeFalse("HSTS only over TLS");
        own.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        declared.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
        declared.Headers.Contains("Permissions-Policy").Should().BeFalse();
        declared.Headers.GetValues("Content-Security-Policy").Should().Equal("default-src 'self'");
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_whether_its_length_is_declared_or_chunked()
    {
        Route(new RoutesSpec { Limits = new EdgeLimitsSpec { MaxBodySize = 1024 } });

        var declared = _edge.Request(HttpMethod.Post, "/upload");
        declared.Content = new ByteArrayContent(new byte[4096]);
        using var tooLong = await _edge.Http.SendAsync(declared);
        var chunked = _edge.Request(HttpMethod.Post, "/upload");
        // Small enough to be sent whole before the 413 comes back: a larger one may still be sending when the edge
        // answers and closes, which the client sees as a broken pipe rather than as the 413.
        chunked.Content = new StreamContent(new MemoryStream(new byte[4096]));
        chunked.Headers.TransferEncodingChunked = true;
        using var tooLongChunked = await _edge.Http.SendAsync(chunked);
        var small = _edge.Request(HttpMethod.Post, "/upload");
        small.Content = new ByteArrayContent(new byte[1000]);
        using var fits = await _edge.Http.SendAsync(small);

        tooLong.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await tooLong.Content.ReadAsStringAsync()).Should().Contain("1kb");
        tooLongChunked.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await SeenAsync(fits)).BodyLength.Should().Be(1000);
    }

    [Fact]
    public async Task An_app_slower_than_its_response_timeout_gets_504()
    {
        Route(new RoutesSpec { Limits = new EdgeLimitsSpec { ResponseTimeout = TimeSpan.FromMilliseconds(500) } });

        using var response = await GetAsync("/slow", ("Accept", "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await response.Content.ReadAsStringAsync()).Should().Contain("responseTimeout");
    }

    [Fact]
    public async Task An_app_that_stalls_mid_body_is_cut_after_its_response_timeout_and_a_stream_that_keeps_sending_is_not()
    {
        Route(new RoutesSpec { Limits = new EdgeLimitsSpec { ResponseTimeout = TimeSpan.FromMilliseconds(1000) } });
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var stalled = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/stall"), HttpCompletionOption.ResponseHeadersRead);
        stalled.StatusCode.Should().Be(HttpStatusCode.OK);
        await FluentActions.Awaiting(() => stalled.Content.ReadAsStringAsync()).Should().ThrowAsync<Exception>("the edge cuts the connection");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "cut after about a second idle, not after the app's 30 s");

        // An event stream idle 400 ms between events, under a 1 s idle limit, is left alone.
        using var sse = await GetAsync("/sse");
        (await sse.Content.ReadAsStringAsync()).Should().Contain("data: tick 2");
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task Compressible_responses_are_compressed_for_clients_that_accept_it(string encoding)
    {
        Route(new RoutesSpec());

        using var compressed = await GetAsync("/big", ("Accept-Encoding", encoding));
        using var identity = await GetAsync("/big");

        compressed.Content.Headers.ContentEncoding.Should().Equal(encoding);
        var bytes = await compressed.Content.ReadAsByteArrayAsync();
        Stream decoder = encoding == "gzip"
            ? new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress)
            : new System.IO.Compression.BrotliStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        var text = await new StreamReader(decoder).ReadToEndAsync();
        text.Should().Be(await identity.Content.ReadAsStringAsync());
        bytes.Length.Should().BeLessThan(text.Length / 10);
        identity.Content.Headers.ContentEncoding.Should().BeEmpty();
    }

    [Fact]
    public async Task Server_sent_events_stream_through_without_buffering()
    {
        Route(new RoutesSpec());
        var request = _edge.Request(HttpMethod.Get, "/sse");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await _edge.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var first = await reader.ReadLineAsync();
        var firstAt = clock.Elapsed;
        var rest = await reader.ReadToEndAsync();
        var endAt = clock.Elapsed;

        first.Should().Be("data: tick 0");
        rest.Should().Contain("tick 2");
        // The app sleeps 400 ms after each of the last two events: streamed, the first event comes at least
        // ~800 ms before the end; buffered, it would come with it. Relative, so a busy machine does not matter.
        (endAt - firstAt).Should().BeGreaterThan(TimeSpan.FromMilliseconds(500), "the first event arrives before the stream ends");
    }

    [Fact]
    public async Task A_websocket_is_tunnelled_both_ways()
    {
        _edge.Routes.Set(new AppRoute("ws", "d-1", ["127.0.0.1"], [new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_web.Port)], null)],
            EdgeRules.None));
        using var socket = new System.Net.WebSockets.ClientWebSocket();

        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_edge.Port}/ws"), CancellationToken.None);
        var replies = new List<string>();
        foreach (var message in new[] { "hello", "again" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
            var buffer = new byte[1024];
            var result = await socket.ReceiveAsync(buffer, new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token);
            replies.Add(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        replies.Should().Equal("echo: hello", "echo: again");
        socket.CloseStatus.Should().Be(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure);
    }

    [Theory]
    [InlineData(false, "/docs/", "/docs")]
    [InlineData(true, "/docs", "/docs/")]
    [InlineData(false, "/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC")] // not "/??", which would send the browser to "/"
    [InlineData(false, "/caf%C3%A9/", "/caf%C3%A9")]
    [InlineData(false, "/a%25b/", "/a%25b")]
    public async Task Trailing_slashes_are_made_canonical_when_declared(bool trailingSlash, string target, string location)
    {
        Route(new RoutesSpec { TrailingSlash = trailingSlash });

        using var response = await GetAsync(target);

        response.StatusCode.Should().Be(HttpStatusCode.PermanentRedirect);
        response.Headers.Location!.OriginalString.Should().Be(location);
    }

    [Fact]
    public async Task Requests_are_counted_per_route_and_status_class_with_a_latency_histogram()
    {
        Route(new RoutesSpec { Rewrites = [new RouteRewrite { Source = "/v1/:path*", Destination = "/api/:path*" }] });

        for (var i = 0; i < 5; i++)
        {
            using var ok = await GetAsync("/v1/x");
        }
        using var missing = await GetAsync("/nothing-here", ("Host", "nobody.localhost"));

        var series = _edge.Metrics.Snapshot("shop").Should().ContainSingle().Subject;
        series.Service.Should().Be("api");
        series.Route.Should().Be("/v1/:path*");
        series.Requests.Should().Be(5);
        series.Statuses["2xx"].Should().Be(5);
        series.Buckets.Sum().Should().Be(5);
        series.P99Ms.Should().BeGreaterThan(0);
        series.P50Ms.Should().BeLessThanOrEqualTo(series.P99Ms);
    }
}
