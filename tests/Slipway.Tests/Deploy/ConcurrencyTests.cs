using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>Operations that race each other on one app: each runs whole, in order, and none undoes another.</summary>
[Collection("platform-2")]
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task A_restart_queued_behind_a_deploy_restarts_the_new_version_not_the_old_one()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "order")).ExitCode.Should().Be(0);
        var v2 = TestApps.Copy("node-api", "2");
        TestApps.EditManifest(v2, m => m["services"]!["web"]!["build"] = "sleep 2");

        var deploy = JsonDocument.Parse((await platform.DeployAsync(v2, "order", "--no-follow", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        await Task.Delay(300);
        var restart = await platform.CliAsync("restart", "--app", "order");
        restart.ExitCode.Should().Be(0, restart.ToString());
        await platform.Engine.WaitAsync(deploy);

        (await platform.VersionAsync("order")).Should().Be("2", "the restart ran after the deploy and restarted what was live then");
        var history = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "order", "--json")).Out).RootElement;
        history[0].GetProperty("kind").GetString().Should().Be("restart");
        history[0].GetProperty("rollbackOf").GetString().Should().Be(deploy);
    }

    [Fact]
    public async Task Stop_during_a_deployment_cancels_it_and_leaves_the_app_stopped()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "halt")).ExitCode.Should().Be(0);
        var slow = TestApps.Copy("node-api", "2");
        TestApps.EditManifest(slow, m => m["services"]!["web"]!["build"] = "sleep 20");
        var deploy = JsonDocument.Parse((await platform.DeployAsync(slow, "halt", "--no-follow", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        await Task.Delay(1000);

        var watch = System.Diagnostics.Stopwatch.StartNew();
        (await platform.CliAsync("stop", "--app", "halt")).ExitCode.Should().Be(0);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));

        (await new CliRunner(platform.DataDir).DeploymentAsync(deploy)).GetProperty("status").GetString().Should().Be("cancelled");
        (await new CliRunner(platform.DataDir).StatusAsync("halt")).GetProperty("state").GetString().Should().Be("stopped");
        using var response = await platform.GetAsync("halt");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "a stopped app answers 503 with the command that starts it");
        (await response.Content.ReadAsStringAsync()).Should().Contain("slipway start");
    }

    [Fact]
    public async Task A_hostname_belongs_to_one_app_and_changes_only_when_the_deploy_that_brings_it_goes_live()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "first", "--host", "shop.example.test")).ExitCode.Should().Be(0);

        var steal = await platform.DeployAsync(TestApps.Copy("node-api", "2"), "second", "--host", "shop.example.test");
        steal.ExitCode.Should().Be(1);
        steal.Err.Should().Contain("shop.example.test already serves app first");
        var squat = await platform.DeployAsync(TestApps.Copy("node-api", "2"), "third", "--host", "first.localhost");
        squat.ExitCode.Should().Be(1);

        var bad = TestApps.Copy("node-api", "3");
        TestApps.EditManifest(bad, m =>
        {
            m["services"]!["web"]!["env"] = new System.Text.Json.Nodes.JsonObject { ["CRASH_ON_START"] = "1" };
        });
        (await platform.DeployAsync(bad, "first", "--host", "other.example.test")).ExitCode.Should().Be(1);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/");
        request.Headers.Host = "shop.example.test";
        using var response = await platform.Http.SendAsync(request);
        response.Headers.GetValues("X-App-Version").Single().Should().Be("1", "a failed deploy does not change the app's hostnames");
    }
}
