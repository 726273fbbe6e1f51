using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform")]
public sealed class BuildTests
{
    [Fact]
    public async Task Builds_run_at_low_priority_under_a_time_limit_and_their_log_is_kept_with_the_deployment()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = TestApps.Copy("node-api", "1");
        TestApps.EditManifest(app, m => m["services"]!["web"]!["build"] = "echo niceness=$(nice)");
        var ok = await platform.DeployAsync(app, "built");
        ok.ExitCode.Should().Be(0, ok.ToString());
        ok.Out.Should().Contain("niceness=10", "builds must never starve live apps of CPU");

        var slow = TestApps.Copy("node-api", "2");
        TestApps.EditManifest(slow, m =>
        {
            m["services"]!["web"]!["build"] = "echo started; sleep 30";
            m["deploy"] = new System.Text.Json.Nodes.JsonObject { ["buildTimeout"] = "2s" };
        });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var timedOut = await platform.DeployAsync(slow, "built");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20));
        timedOut.ExitCode.Should().Be(1);
        timedOut.Err.Should().Contain("at step 'build'").And.Contain("time limit");
        (await platform.VersionAsync("built")).Should().Be("1");

        var history = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "built", "--json")).Out).RootElement;
        var log = await platform.CliAsync("logs", "--app", "built", "--deployment", history[1].GetProperty("id").GetString()!);
        log.ExitCode.Should().Be(0, log.ToString());
        log.Out.Should().Contain("niceness=10").And.Contain("release: applying migrations")
            .And.Contain($"live at http://built.localhost:{platform.EdgePort}", "the address a browser opens, with the port the edge bound");
    }

    [Fact]
    public async Task Only_the_last_builds_are_kept_and_custom_hosts_route_to_the_app()
    {
        await using var platform = await TestPlatform.StartAsync(keepBuilds: 2);
        for (var v = 1; v <= 4; v++)
        {
            var result = await platform.DeployAsync(TestApps.Copy("node-api", v.ToString(System.Globalization.CultureInfo.InvariantCulture)), "kept", "--host", "shop.example.test");
            result.ExitCode.Should().Be(0, result.ToString());
        }
        // A pruned build is moved aside (".deleting") first; one that old instances were still writing into as
        // they stopped may take a moment more to go.
        var kept = Directory.GetDirectories(Path.Combine(platform.DataDir, "builds", "kept")).Select(d => Path.GetFileName(d)!)
            .Where(d => !d.EndsWith(".deleting", StringComparison.Ordinal)).ToList();
        kept.Where(d => !d.EndsWith(".src", StringComparison.Ordinal)).Should().HaveCount(2);
        kept.Should().HaveCount(4, "each kept build keeps its pristine source, and pruned builds lose theirs");
        var tooOld = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "kept", "--json")).Out).RootElement[3].GetProperty("id").GetString()!;
        var rollback = await platform.CliAsync("rollback", "--app", "kept", "--to", tooOld);
        rollback.ExitCode.Should().Be(1);
        rollback.Err.Should().Contain("pruned");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/");
        request.Headers.Host = "shop.example.test";
        using var response = await platform.Http.SendAsync(request);
        response.Headers.GetValues("X-App-Version").Should().Equal("4");
    }
}
