using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Slipway.Edge;
using Slipway.Runtime;

namespace Slipway.Tests.Edge;

public sealed class ForwarderTests : IAsyncLifetime
{
    private EdgeUnderTest _edge = null!;
    private LoopbackServer _echo = null!;
    private InstanceEndpoint _echoEndpoint = null!;

    public async Task InitializeAsync()
    {
        _edge = await EdgeUnderTest.StartAsync();
        _echo = await LoopbackServer.StartAsync(EchoAsync);
        _echoEndpoint = EdgeUnderTest.Healthy(_echo.Port);
        _edge.RouteShopTo(_echoEndpoint);
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Theory]
    [InlineData("/a%2Fb%20c/caf%C3%A9?q=x%26y&z=%C3%A9&flag&empty=")]
    [InlineData("/search?q=a+b&q=%2B&list=1,2,3&path=%2Fetc%2F")]
    [InlineData("/files/a%3Fb%23c")]
    [InlineData("/?")]
    public async Task Path_and_query_are_forwarded_raw(string target)
    {
        var response = await RawHttp.SendAsync(_edge.Port, $"GET {target} HTTP/1.1", "Host: shop.localhost");

        response.Status.Should().Be(200);
        Parse(response.Body).Target.Should().Be(target);
    }

    [Theory]
    [InlineData("/%7Euser/%41BC")]
    [InlineData("/sig/a%2d%5Fb?x=%7E")]
    public async Task Percent_encoded_unreserved_characters_are_forwarded_as_sent(string target)
    {
        var response = await RawHttp.SendAsync(_edge.Port, $"GET {target} HTTP/1.1", "Host: shop.localhost");

        Parse(response.Body).Target.Should().Be(target);
    }

    [Fact]
    public async Task A_post_body_is_forwarded_whole_with_its_method()
    {
        var body = RandomNumberGenerator.GetHexString(1 << 20);
        using var request = _edge.Request(HttpMethod.Post, "/upload");
        request.Content = new StringContent(body, Encoding.UTF8, "text/plain");

        using var response = await _edge.Http.SendAsync(request);
        var echo = Parse(await response.Content.ReadAsStringAsync());

        echo.Method.Should().Be("POST");
        echo.Body.Should().Be(body);
        echo.Header("content-length").Should().Be((1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
        echo.Header("content-type").Should().Be("text/plain; charset=utf-8");
    }

    [Fact]
    public async Task A_chunked_request_body_is_streamed_to_the_instance_before_it_ends()
    {
        var first = new string('a', 64 * 1024);
        (await StreamTwoPartsAsync(first, "-second")).Should().Be(first + "-second");
    }

    [Fact]
    public async Task A_small_request_chunk_reaches_the_instance_before_the_body_ends()
    {
        (await StreamTwoPartsAsync("first", "-second")).Should().Be("first-second");
    }

    [Fact]
    public async Task Hop_by_hop_headers_are_not_forwarded()
    {
        var response = await RawHttp.SendAsync(_edge.Port, "GET /hop HTTP/1.1",
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

    [Theory(Skip = "Kestrel limitation (measured over a raw socket; nothing above Kestrel can see the lost tokens): Kestrel rewrites 'Connection: keep-alive, X-Custom' to 'keep-alive' before EdgeHandler runs, so HttpForwarder never sees X-Custom named")]
    [InlineData("keep-alive, X-Custom")]
    [InlineData("close, X-Custom")]
    public async Task A_header_named_in_connection_is_not_forwarded_beside_keep_alive_or_close(string connection)
    {
        var response = await RawHttp.SendAsync(_edge.Port, "GET /hop HTTP/1.1",
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
        _edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));

        var response = await RawHttp.SendAsync(_edge.Port, "GET / HTTP/1.1", "Host: shop.localhost");

        response.Header("Keep-Alive").Should().BeNull();
        response.Header("Proxy-Authenticate").Should().BeNull();
        response.Header("Upgrade").Should().BeNull();
        response.Header("X-Kept").Should().Be("yes");
    }

    [Fact]
    public async Task The_edge_sets_x_forwarded_headers_and_replaces_what_the_client_sent()
    {
        using var request = _edge.Request(HttpMethod.Get, "/");
        request.Headers.Host = $"shop.localhost:{_edge.Port}";
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "https");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "bank.example.com");

        var echo = await SendAsync(request);

        echo.Headers["x-forwarded-for"].Should().Equal("127.0.0.1");
        echo.Headers["x-forwarded-proto"].Should().Equal("http");
        echo.Headers["x-forwarded-host"].Should().Equal($"shop.localhost:{_edge.Port}");
    }

    [Fact]
    public async Task The_host_header_reaches_the_instance_unchanged()
    {
        using var request = _edge.Request(HttpMethod.Get, "/", host: $"SHOP.localhost:{_edge.Port}");

        (await SendAsync(request)).Headers["host"].Should().Equal($"SHOP.localhost:{_edge.Port}");
    }

    [Fact]
    public async Task A_request_id_is_generated_when_absent_and_unique_per_request()
    {
        using var first = _edge.Request(HttpMethod.Get, "/");
        using var second = _edge.Request(HttpMethod.Get, "/");

        var a = (await SendAsync(first)).Header("x-request-id");
        var b = (await SendAsync(second)).Header("x-request-id");

        a.Should().NotBeNullOrWhiteSpace();
        b.Should().NotBeNullOrWhiteSpace().And.NotBe(a);
    }

    [Fact]
    public async Task A_request_id_from_the_client_is_passed_through()
    {
        using var request = _edge.Request(HttpMethod.Get, "/");
        request.Headers.Add("X-Request-Id", "req-from-client-42");

        (await SendAsync(request)).Headers["x-request-id"].Should().Equal("req-from-client-42");
    }

    [Fact]
    public async Task Response_status_and_headers_are_copied()
    {
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 201;
            context.Response.Headers["X-App-Version"] = "7";
            context.Response.Headers.Append("Set-Cookie", "a=1; Path=/");
            context.Response.Headers.Append("Set-Cookie", "b=2; Path=/");
            context.Response.Headers.CacheControl = "private, max-age=5";
            context.Response.Headers.Location = "/created/1";
            context.Response.ContentType = "text/csv; charset=utf-8";
            await context.Response.WriteAsync("x,y");
        });
        _edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));
        using var request = _edge.Request(HttpMethod.Get, "/");

        using var response = await _edge.Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        response.Headers.GetValues("X-App-Version").Should().Equal("7");
        response.Headers.GetValues("Set-Cookie").Should().Equal("a=1; Path=/", "b=2; Path=/");
        response.Headers.CacheControl!.Private.Should().BeTrue();
        response.Headers.CacheControl.MaxAge.Should().Be(TimeSpan.FromSeconds(5));
        response.Headers.Location!.OriginalString.Should().Be("/created/1");
        response.Content.Headers.ContentType!.ToString().Should().Be("text/csv; charset=utf-8");
        (await response.Content.ReadAsStringAsync()).Should().Be("x,y");
    }

    [Fact]
    public async Task A_streamed_response_reaches_the_client_chunk_by_chunk()
    {
        var firstChunkReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: first\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
            // The last chunk is written only after the client has the first: a buffering edge deadlocks here.
            await firstChunkReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await context.Response.WriteAsync("data: last\n\n");
        });
        _edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));
        using var request = _edge.Request(HttpMethod.Get, "/events");

        using var response = await _edge.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        firstChunkReceived.SetResult();
        var rest = await reader.ReadToEndAsync();

        first.Should().Be("data: first");
        rest.Should().Be("\ndata: last\n\n");
    }

    [Fact]
    public async Task A_response_the_instance_cuts_off_is_cut_off_for_the_client_too()
    {
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            await context.Response.WriteAsync("partial");
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
            context.Abort();
        });
        _edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));

        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"), HttpCompletionOption.ResponseHeadersRead);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        // A clean end of the chunked body here would pass a truncated page off as complete.
        await FluentActions.Awaiting(() => response.Content.ReadAsStringAsync()).Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task A_get_whose_instance_drops_the_connection_before_answering_is_retried_on_another()
    {
        var dropped = 0;
        await using var dying = await LoopbackServer.StartAsync(context =>
        {
            Interlocked.Increment(ref dropped);
            context.Abort();
            return Task.CompletedTask;
        });
        var dyingEndpoint = EdgeUnderTest.Healthy(dying.Port);
        _edge.RouteShopTo(dyingEndpoint, _echoEndpoint);

        for (var i = 0; i < 2; i++)
        {
            using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        dropped.Should().Be(1, "the dying instance got one request, then left the rotation");
        dyingEndpoint.Healthy.Should().BeFalse();
    }

    [Fact]
    public async Task A_post_whose_instance_drops_the_connection_is_not_sent_twice()
    {
        var dropped = 0;
        await using var dying = await LoopbackServer.StartAsync(async context =>
        {
            Interlocked.Increment(ref dropped);
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Abort();
        });
        _edge.RouteShopTo(EdgeUnderTest.Healthy(dying.Port), _echoEndpoint);
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 2; i++)
        {
            using var request = _edge.Request(HttpMethod.Post, "/orders");
            request.Content = new StringContent("buy one");
            using var response = await _edge.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        dropped.Should().Be(1);
        statuses.Should().BeEquivalentTo([HttpStatusCode.OK, HttpStatusCode.BadGateway], "the POST the instance lost is answered 502, not replayed");
        _echoEndpoint.Requests.Should().Be(1);
    }

    [Fact]
    public async Task A_path_under_a_service_prefix_goes_to_that_service_unchanged()
    {
        await using var api = await LoopbackServer.StartAsync(context => context.Response.WriteAsync("api " + context.Request.Path));
        _edge.Routes.Set(new AppRoute("shop", "d-1", ["shop.localhost"],
            [new ServiceRoute("api", "/api", [EdgeUnderTest.Healthy(api.Port)], null), new ServiceRoute("web", "/", [_echoEndpoint], null)], EdgeRules.None));

        using var toApi = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/api/users"));
        using var toWeb = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/apix"));

        (await toApi.Content.ReadAsStringAsync()).Should().Be("api /api/users");
        Parse(await toWeb.Content.ReadAsStringAsync()).Target.Should().Be("/apix");
    }

    [Fact]
    public async Task An_unknown_host_gets_a_404_page()
    {
        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/", host: "nope.localhost"));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await response.Content.ReadAsStringAsync()).Should().Contain("No app is deployed at nope.localhost");
        _echoEndpoint.Requests.Should().Be(0);
    }

    [Fact]
    public async Task An_unknown_host_gets_json_when_the_client_accepts_json()
    {
        using var request = _edge.Request(HttpMethod.Get, "/", host: "nope.localhost");
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await _edge.Http.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        json.GetProperty("status").GetInt32().Should().Be(404);
        json.GetProperty("title").GetString().Should().Be("No app here");
    }

    [Fact]
    public async Task Without_a_healthy_instance_the_answer_is_503()
    {
        _echoEndpoint.Healthy = false;

        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.CacheControl!.NoStore.Should().BeTrue();
        _echoEndpoint.Requests.Should().Be(0);
    }

    [Fact]
    public async Task A_get_to_an_instance_that_refuses_connections_is_retried_on_another()
    {
        var refusing = new InstanceEndpoint("i-dead", ClosedPort()) { Healthy = true };
        _edge.RouteShopTo(refusing, _echoEndpoint);

        // Round robin: two requests in a row try both instances first, so one of them starts at the dead one.
        for (var i = 0; i < 4; i++)
        {
            using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, $"/try/{i}"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        refusing.Requests.Should().BeGreaterThan(0, "the dead instance was tried");
        refusing.Healthy.Should().BeFalse("an instance that refuses connections leaves the rotation");
        _echoEndpoint.Requests.Should().Be(4);
    }

    [Fact]
    public async Task When_the_only_instance_refuses_connections_the_answer_is_503_and_it_leaves_the_rotation()
    {
        var refusing = new InstanceEndpoint("i-dead", ClosedPort()) { Healthy = true };
        _edge.RouteShopTo(refusing);

        using var response = await _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/"));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        refusing.Healthy.Should().BeFalse();
    }

    [Fact]
    public async Task In_flight_counts_a_request_while_it_runs_and_drops_back_to_zero()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await LoopbackServer.StartAsync(async context =>
        {
            await release.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await context.Response.WriteAsync("done");
        });
        var endpoint = EdgeUnderTest.Healthy(slow.Port);
        _edge.RouteShopTo(endpoint);

        var pending = _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/slow"));
        await Eventually(() => endpoint.InFlight == 1);
        release.SetResult();
        using var response = await pending;

        (await response.Content.ReadAsStringAsync()).Should().Be("done");
        await Eventually(() => endpoint.InFlight == 0);
        endpoint.Requests.Should().Be(1);
    }

    [Fact]
    public async Task In_flight_drops_back_to_zero_when_the_client_gives_up()
    {
        var destinationAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await LoopbackServer.StartAsync(async context =>
        {
            context.RequestAborted.Register(() => destinationAborted.TrySetResult());
            await destinationAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        });
        var endpoint = EdgeUnderTest.Healthy(slow.Port);
        _edge.RouteShopTo(endpoint);
        using var cancel = new CancellationTokenSource();

        var pending = _edge.Http.SendAsync(_edge.Request(HttpMethod.Get, "/slow"), cancel.Token);
        await Eventually(() => endpoint.InFlight == 1);
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => pending).Should().ThrowAsync<OperationCanceledException>();
        await destinationAborted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Eventually(() => endpoint.InFlight == 0);
        endpoint.Healthy.Should().BeTrue("a client that leaves says nothing about the instance");
    }

    private async Task<string> StreamTwoPartsAsync(string first, string second)
    {
        var firstPartSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            var buffer = new byte[first.Length];
            await context.Request.Body.ReadExactlyAsync(buffer);
            firstPartSeen.TrySetResult();
            using var reader = new StreamReader(context.Request.Body);
            await context.Response.WriteAsync(Encoding.ASCII.GetString(buffer) + await reader.ReadToEndAsync());
        });
        _edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));
        using var request = _edge.Request(HttpMethod.Put, "/stream");
        // The second part is only written once the instance has read the first: an edge that holds the body back
        // until it ends never gets there (the client gives up after 10 s).
        request.Content = new TwoPartContent(first, second, firstPartSeen.Task);

        using var response = await _edge.Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<Echo> SendAsync(HttpRequestMessage request)
    {
        using var response = await _edge.Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task EchoAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var echo = new Echo(
            context.Request.Method,
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Select(v => v ?? "").ToArray()),
            await reader.ReadToEndAsync());
        var bytes = JsonSerializer.SerializeToUtf8Bytes(echo);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    private static Echo Parse(string json) => JsonSerializer.Deserialize<Echo>(json)!;

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within 5 s");
            await Task.Delay(10);
        }
    }

    internal sealed record Echo(string Method, string Target, Dictionary<string, string[]> Headers, string Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var values) ? string.Join(",", values) : null;
    }

    /// <summary>A request body of unknown length (sent chunked) whose second part waits for a signal.</summary>
    private sealed class TwoPartContent(string first, string second, Task sendSecond) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(first));
            await stream.FlushAsync();
            await sendSecond.WaitAsync(TimeSpan.FromSeconds(10));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(second));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
