using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>An app's first deployment: while its first version starts, its hostnames answer 503 "starting" with
/// Retry-After (not 404 "no app here", not a 502); live, they serve it; failed, they are unknown again.</summary>
[Collection("platform")]
public sealed class FirstDeployTests
{
    /// <summary>Healthy (GET /health) only once ready/ready exists in its volume "ready", so the test (writing it on
    /// the host) decides when the start ends.</summary>
    private const string Server = """
        const fs = require('fs');
        require('http').createServer((q, s) => {
          if (q.url === '/health' && !fs.existsSync('ready/ready')) { s.statusCode = 503; s.end('not yet'); return; }
          s.end('hello');
        }).listen(process.env.PORT, process.env.HOST);
        """;

    [Fact]
    public async Task A_first_deploy_answers_503_starting_until_it_serves_and_a_failed_one_leaves_no_route()
    {
        await using var platform = await TestPlatform.StartAsync();
        var ready = Path.Combine(platform.DataDir, "volumes", "fresh", "ready", "ready");
        var good = await DeployNoFollowAsync(platform, App(startTimeout: "60s"), "fresh");
        var bad = await DeployNoFollowAsync(platform, App(startTimeout: "2s"), "doomed");

        // Watched side by side: "doomed" has 2 s to pass its check.
        var answers = await Task.WhenAll(WhileNotFoundAsync(platform, "fresh"), WhileNotFoundAsync(platform, "doomed"));
        foreach (var (app, starting) in new[] { "fresh", "doomed" }.Zip(answers))
        {
            using (starting)
            {
                starting.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, $"{app} is starting");
                starting.Headers.RetryAfter!.Delta.Should().BePositive();
                (await starting.Content.ReadAsStringAsync()).Should().Contain($"{app} is starting");
            }
        }
        (await new CliRunner(platform.DataDir).DeploymentAsync(good)).GetProperty("status").GetString().Should().BeOneOf("starting", "health-checking");

        File.WriteAllText(ready, "");
        await platform.Engine.WaitAsync(good);
        using (var live = await platform.GetAsync("fresh"))
        {
            live.StatusCode.Should().Be(HttpStatusCode.OK);
            (await live.Content.ReadAsStringAsync()).Should().Be("hello");
        }

        await platform.Engine.WaitAsync(bad);
        (await new CliRunner(platform.DataDir).DeploymentAsync(bad)).GetProperty("status").GetString().Should().Be("failed");
        using var gone = await platform.GetAsync("doomed", accept: "application/json");
        gone.StatusCode.Should().Be(HttpStatusCode.NotFound, "a first version that failed leaves the host with no route");
        (await gone.Content.ReadAsStringAsync()).Should().Contain("No app is deployed at doomed.localhost");
    }

    private static async Task<string> DeployNoFollowAsync(TestPlatform platform, string dir, string app)
    {
        var queued = await platform.DeployAsync(dir, app, "--no-follow", "--json");
        queued.ExitCode.Should().Be(0, queued.ToString());
        return JsonDocument.Parse(queued.Out).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The edge's answer for the app once it is no longer 404 (the build comes before the start), within 15 s.</summary>
    private static async Task<HttpResponseMessage> WhileNotFoundAsync(TestPlatform platform, string app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await platform.GetAsync(app, accept: "application/json");
            if (response.StatusCode != HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
            {
                return response;
            }
            response.Dispose();
            await Task.Delay(20);
        }
    }

    private static string App(string startTimeout)
    {
        var dir = TempDirs.Create("first");
        File.WriteAllText(Path.Combine(dir, "server.js"), Server);
        var manifest = new JsonObject
        {
            ["services"] = new JsonObject
            {
                ["web"] = new JsonObject
                {
                    ["start"] = "node server.js",
                    ["healthcheck"] = new JsonObject { ["path"] = "/health", ["interval"] = "100ms", ["startTimeout"] = startTimeout },
                },
            },
            ["volumes"] = new JsonObject { ["ready"] = "ready" },
        };
        File.WriteAllText(Path.Combine(dir, "slipway.json"), manifest.ToJsonString());
        return dir;
    }
}
