using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>`stop`, `start`, `restart`, `destroy` and `rollback` as a user runs them, with the errors they give.</summary>
[Collection("platform")]
public sealed class AppLifecycleTests
{
    [Fact]
    public async Task Stop_start_restart_and_destroy_do_what_they_say()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "ops")).ExitCode.Should().Be(0);

        (await platform.CliAsync("stop", "--app", "ops")).ExitCode.Should().Be(0);
        using (var stopped = await platform.GetAsync("ops", "/", accept: "application/json"))
        {
            stopped.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await stopped.Content.ReadAsStringAsync()).Should().Contain("\"status\":503").And.Contain("ops is stopped (slipway start --app ops)");
        }
        JsonDocument.Parse((await platform.CliAsync("status", "--app", "ops", "--json")).Out).RootElement
            .GetProperty("state").GetString().Should().Be("stopped");

        (await platform.CliAsync("start", "--app", "ops")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("ops")).Should().Be("1");

        var before = StatusPids.Of(await new CliRunner(platform.DataDir).StatusAsync("ops"));
        var restart = await platform.CliAsync("restart", "--app", "ops");
        restart.ExitCode.Should().Be(0, restart.ToString());
        var after = await new CliRunner(platform.DataDir).StatusAsync("ops");
        StatusPids.Of(after).Should().HaveCount(2).And.NotIntersectWith(before, "a restart replaces every instance and keeps none warm");

        var destroy = await platform.CliAsync("destroy", "--app", "ops", "--yes");
        destroy.ExitCode.Should().Be(0, destroy.ToString());
        (await platform.CliAsync("status", "--app", "ops")).Err.Should().Contain("No app named 'ops'");
        using (var gone = await platform.GetAsync("ops", "/"))
        {
            gone.StatusCode.Should().Be(HttpStatusCode.NotFound, "a destroyed app's hostnames are free again");
        }
        Directory.Exists(Path.Combine(platform.DataDir, "builds", "ops")).Should().BeFalse();
        foreach (var pid in before)
        {
            ProcessTable.IsRunning(pid).Should().BeFalse();
        }
    }

    [Fact]
    public async Task Rollback_with_nothing_to_go_back_to_and_unknown_apps_give_clear_errors()
    {
        await using var platform = await TestPlatform.StartAsync();
        var none = await platform.CliAsync("rollback", "--app", "ghost");
        none.ExitCode.Should().Be(1);
        none.Err.Should().Contain("No app named 'ghost'").And.Contain("slipway deploy");
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "once")).ExitCode.Should().Be(0);
        var only = await platform.CliAsync("rollback", "--app", "once");
        only.ExitCode.Should().Be(1);
        only.Err.Should().Contain("nothing to roll back to");
        var badName = await platform.DeployAsync(TestApps.Copy("node-api", "1"), "Bad_Name");
        badName.ExitCode.Should().Be(1);
        badName.Err.Should().Contain("not a valid app name");
    }
}
