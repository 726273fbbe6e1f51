using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>One deployment per app at a time, and `slipway cancel` stopping a running one.</summary>
[Collection("platform-2")]
public sealed class QueueAndCancelTests
{
    [Fact]
    public async Task A_second_deployment_waits_for_the_first_and_cancel_stops_a_running_one_leaving_the_live_version()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "queue")).ExitCode.Should().Be(0);
        var slow = TestApps.Copy("node-api", "2");
        TestApps.EditManifest(slow, m => m["services"]!["web"]!["build"] = "sleep 30");

        var first = JsonDocument.Parse((await platform.DeployAsync(slow, "queue", "--no-follow", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        var second = JsonDocument.Parse((await platform.DeployAsync(TestApps.Copy("node-api", "3"), "queue", "--no-follow", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        var runner = new CliRunner(platform.DataDir);
        // Wait (bounded) until the first is really building: its build step, "sleep 30", is running.
        for (var i = 0; i < 300 && !ProcessTable.AnyRunning("sleep 30"); i++)
        {
            await Task.Delay(100);
        }
        (await runner.DeploymentAsync(first)).GetProperty("status").GetString().Should().Be("building");
        (await runner.DeploymentAsync(second)).GetProperty("status").GetString().Should().Be("queued", "one deployment per app at a time");

        var cancel = await platform.CliAsync("cancel", "--app", "queue");
        cancel.ExitCode.Should().Be(0, cancel.ToString());
        await platform.Engine.WaitAsync(first);
        await platform.Engine.WaitAsync(second);
        (await runner.DeploymentAsync(first)).GetProperty("status").GetString().Should().Be("cancelled");
        (await runner.DeploymentAsync(second)).GetProperty("status").GetString().Should().Be("cancelled");
        (await platform.VersionAsync("queue")).Should().Be("1");
        (await ProcessTable.GoneAsync("sleep 30")).Should().BeTrue("cancelling kills the build's process tree");
    }
}
