using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge;

/// <summary>Edge rules declared in a real app's manifest, deployed through the real platform: they go live
/// with their deployment, come back with a rollback, and a deploy through them under load loses nothing.</summary>
[Collection("platform-2")]
public sealed class EdgePlatformTests
{
    private static string AppWithRules(string version)
    {
        var dir = TestApps.Copy("node-api", version);
        TestApps.EditManifest(dir, manifest => manifest["routes"] = JsonNode.Parse($$"""
            {
              "rewrites": [{ "source": "/v/:rest*", "destination": "/:rest*" }],
              "headers": [{ "source": "/(.*)", "headers": [{ "key": "X-Rules", "value": "v{{version}}" }] }],
              "cors": [{ "source": "/(.*)", "origins": ["https://app.example.com"] }],
              "rateLimits": [{ "source": "/(.*)", "limit": 100000, "window": "1m" }],
              "securityHeaders": { "Content-Security-Policy": "default-src 'self'" },
              "limits": { "maxBodySize": "64kb" }
            }
            """));
        return dir;
    }

    [Fact]
    public async Task Rules_go_live_with_their_deployment_come_back_on_rollback_and_lose_no_request_under_load()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(AppWithRules("1"), "ruled")).ExitCode.Should().Be(0);

        await using var load = new LoadLoop(platform.EdgePort, "ruled", path: "/v/");
        var deploy = await platform.DeployAsync(AppWithRules("2"), "ruled");
        using var afterDeploy = await platform.GetAsync("ruled", "/v/");
        var rollback = await platform.CliAsync("rollback", "--app", "ruled");
        using var afterRollback = await platform.GetAsync("ruled", "/v/");
        await load.StopAsync();

        deploy.ExitCode.Should().Be(0, deploy.ToString());
        rollback.ExitCode.Should().Be(0, rollback.ToString());
        load.Results.Count.Should().BeGreaterThan(20);
        load.Failures.Should().BeEmpty("a deploy through rewrites, CORS, rate limits and headers loses no request");
        load.Results.Select(r => r.Version).Distinct().Should().BeEquivalentTo(["1", "2"]);
        afterDeploy.Headers.GetValues("X-Rules").Should().Equal("v2");
        afterDeploy.Headers.GetValues("X-App-Version").Should().Equal("2");
        afterDeploy.Headers.GetValues("Content-Security-Policy").Should().Equal("default-src 'self'");
        afterRollback.Headers.GetValues("X-Rules").Single().Should().Be("v1", "a rollback brings back the rules of the version it restores");
        afterRollback.Headers.GetValues("X-App-Version").Should().Equal("1");
    }

    [Fact]
    public async Task One_kept_alive_connection_carries_the_dashboards_assets_pages_and_api_errors_through_the_edge()
    {
        await using var platform = await TestPlatform.StartAsync();
        var htmx = platform.Services.GetRequiredService<Slipway.Dashboard.DashboardAssets>().Url("htmx.min.js");
        using var client = new OneConnectionClient(TimeSpan.FromSeconds(3));

        for (var round = 0; round < 2; round++)
        {
            foreach (var (path, status) in new[] { (htmx, 200), ("/v1/no-such-endpoint", 404), ("/login", 200), (htmx, 200), ("/v1/apps", 401) })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}{path}");
                request.Headers.Host = "slipway.localhost";
                using var response = await client.Http.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                ((int)response.StatusCode).Should().Be(status, path);
                if (path == htmx)
                {
                    // Larger than the edge's 16 KB receive buffer: it reaches the edge, and leaves it, in several pieces.
                    body.Length.Should().BeGreaterThan(16 * 1024).And.Be((int)response.Content.Headers.ContentLength!.Value);
                }
            }
        }

        client.Connections.Should().Be(1, "every answer was framed whole, so the client kept its one connection");
    }

    [Fact]
    public async Task Metrics_and_the_access_log_show_each_request()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(AppWithRules("1"), "seen")).ExitCode.Should().Be(0);

        string? requestId = null;
        for (var i = 0; i < 3; i++)
        {
            using var response = await platform.GetAsync("seen", "/v/?token=SECRET-QUERY");
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            requestId = response.Headers.GetValues("X-Request-Id").Single();
        }
        using var missing = await platform.GetAsync("seen", "/no/such/page");

        var table = await platform.CliAsync("metrics", "--app", "seen");
        var json = JsonDocument.Parse((await platform.CliAsync("metrics", "--app", "seen", "--json")).Out).RootElement;
        var access = await platform.LogsContainingAsync(requestId!, "--app", "seen", "--access");
        // After the metrics were read: a client-given request id is answered, forwarded and logged as given.
        using var http = new HttpClient();
        using var traced = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/v/traced");
        traced.Headers.Host = "seen.localhost";
        traced.Headers.Add("X-Request-Id", "client-trace-4711");
        using var tracedResponse = await http.SendAsync(traced);
        tracedResponse.Headers.GetValues("X-Request-Id").Should().Equal("client-trace-4711");

        table.ExitCode.Should().Be(0, table.ToString());
        table.Out.Should().Contain("/v/:rest*").And.Contain("P99");
        var rewritten = json.EnumerateArray().Single(s => s.GetProperty("route").GetString() == "/v/:rest*");
        rewritten.GetProperty("requests").GetInt64().Should().Be(3);
        rewritten.GetProperty("statuses").GetProperty("2xx").GetInt64().Should().Be(3);
        json.EnumerateArray().Sum(s => s.GetProperty("statuses").GetProperty("4xx").GetInt64()).Should().Be(1);
        access.Out.Should().Contain("method=GET path=/v/ status=200").And.Contain("route=/v/:rest*");
        access.Out.Should().NotContain("SECRET-QUERY", "query strings carry tokens; the access log leaves them out");
        (await platform.LogsContainingAsync("client-trace-4711", "--app", "seen", "--access")).Out
            .Should().MatchRegex("path=/v/traced .* id=client-trace-4711\n", "the client's request id is the one logged");
    }
}

/// <summary>TLS through the whole platform: the generated development certificate, HTTP/2, HSTS, and the
/// per-app redirect from HTTP.</summary>
[Collection("platform")]
public sealed class EdgeTlsPlatformTests
{
    [Fact]
    public async Task An_app_is_served_over_https_with_http2_hsts_and_a_redirect_from_http()
    {
        await using var platform = await TestPlatform.StartAsync(https: true);
        var dir = TestApps.Copy("node-api", "1");
        TestApps.EditManifest(dir, manifest => manifest["routes"] = JsonNode.Parse("""{ "forceHttps": true }"""));
        (await platform.DeployAsync(dir, "secure")).ExitCode.Should().Be(0);
        var httpsPort = platform.EdgeHttpsPort!.Value;

        var plain = await RawHttp.SendAsync(platform.EdgePort, "GET /health?x=1 HTTP/1.1", "Host: secure.localhost");
        string? subject = null;
        using var tls = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, token) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, httpsPort, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    subject = (certificate as System.Security.Cryptography.X509Certificates.X509Certificate2)?.GetNameInfo(
                        System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false);
                    // The development certificate is self-signed: checked by name here, not by chain.
                    return subject is not null && subject.Contains("localhost", StringComparison.Ordinal);
                },
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://secure.localhost:{httpsPort}/health") { Version = HttpVersion.Version20 };
        using var secure = await tls.SendAsync(request);

        plain.Status.Should().Be(308);
        plain.Header("Location").Should().Be($"https://secure.localhost:{httpsPort}/health?x=1");
        secure.StatusCode.Should().Be(HttpStatusCode.OK);
        secure.Version.Should().Be(HttpVersion.Version20);
        secure.Headers.Contains("Strict-Transport-Security").Should().BeTrue();
        subject.Should().Contain("localhost");
    }
}
