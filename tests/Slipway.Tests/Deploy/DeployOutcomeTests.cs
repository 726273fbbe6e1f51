using System.Diagnostics;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>What a deploy leaves: the live version and its history, a bad version failing at its step while the live
/// one keeps serving every request, an invalid manifest refused whole. Times nothing, so it runs in a lane.</summary>
[Collection("platform-3")]
public sealed class DeployOutcomeTests
{
    [Fact]
    public async Task A_deploy_goes_live_and_the_next_one_replaces_it_with_history_recorded()
    {
        await using var platform = await TestPlatform.StartAsync();
        var v1 = TestApps.Copy("node-api", "1");
        var v2 = TestApps.Copy("node-api", "2");

        var first = await platform.DeployAsync(v1, "shop");
        first.ExitCode.Should().Be(0, first.ToString());
        first.Out.Should().Contain("==> building").And.Contain("release: applying migrations").And.Contain("is live");
        (await platform.VersionAsync("shop")).Should().Be("1");

        var second = await platform.DeployAsync(v2, "shop");
        second.ExitCode.Should().Be(0, second.ToString());
        second.Out.Should().Contain("dependencies restored from cache", "an unchanged lockfile must not install again");
        (await platform.VersionAsync("shop")).Should().Be("2");

        var history = await platform.CliAsync("deployments", "--app", "shop", "--json");
        history.ExitCode.Should().Be(0, history.ToString());
        var rows = JsonDocument.Parse(history.Out).RootElement.EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("status").GetString()).Should().Equal("live", "retired");
        rows.Should().OnlyContain(r => r.GetProperty("durationSeconds").GetDouble() > 0);

        var status = await platform.CliAsync("status", "--app", "shop", "--json");
        var app = JsonDocument.Parse(status.Out).RootElement;
        app.GetProperty("state").GetString().Should().Be("running");
        app.GetProperty("instances").EnumerateArray().Count(i => i.GetProperty("role").GetString() == "serving").Should().Be(2);
        app.GetProperty("instances").EnumerateArray().Count(i => i.GetProperty("role").GetString() == "warm").Should().Be(2,
            "the replaced version stays warm for instant rollback");
    }

    public static TheoryData<string, string, string> BadVersions => new()
    {
        { "health", "FAIL_HEALTH", "health-check" },
        { "crash", "CRASH_ON_START", "start" },
        { "release", "FAIL_RELEASE", "release" },
    };

    [Theory]
    [MemberData(nameof(BadVersions))]
    public async Task A_bad_version_fails_at_its_step_and_the_live_version_keeps_serving(string name, string flag, string step)
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "bad-" + name)).ExitCode.Should().Be(0);

        var bad = TestApps.Copy("node-api", "2");
        TestApps.EditManifest(bad, m =>
        {
            var web = m["services"]!["web"]!.AsObject();
            web["env"] = new System.Text.Json.Nodes.JsonObject { [flag] = "1" };
            web["healthcheck"]!["startTimeout"] = "4s";
        });
        await using var load = new LoadLoop(platform.EdgePort, "bad-" + name);
        var result = await platform.DeployAsync(bad, "bad-" + name);
        await load.StopAsync();

        result.ExitCode.Should().Be(1, result.ToString());
        result.Err.Should().Contain($"at step '{step}'");
        load.Failures.Should().BeEmpty();
        load.Results.Should().NotBeEmpty().And.OnlyContain(r => r.Version == "1");
        (await platform.VersionAsync("bad-" + name)).Should().Be("1");

        var history = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "bad-" + name, "--json")).Out).RootElement;
        history[0].GetProperty("status").GetString().Should().Be("failed");
        history[0].GetProperty("failedStep").GetString().Should().Be(step);
        history[1].GetProperty("status").GetString().Should().Be("live");

        var status = JsonDocument.Parse((await platform.CliAsync("status", "--app", "bad-" + name, "--json")).Out).RootElement;
        status.GetProperty("instances").EnumerateArray().Should().OnlyContain(i => i.GetProperty("role").GetString() == "serving",
            "the failed version's instances are cleaned up");
    }

    [Fact]
    public async Task An_invalid_manifest_reports_every_error_at_once_and_deploys_nothing()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = TestApps.Copy("node-api", "1");
        File.WriteAllText(Path.Combine(app, "slipway.json"), """
            {
              "services": {
                "web": { "type": "web", "start": "node server.js", "replicas": "two",
                         "healthcheck": { "path": "health", "timeout": "thirty" }, "strat": "x" }
              }
            }
            """);
        var result = await platform.DeployAsync(app, "invalid");

        result.ExitCode.Should().Be(1);
        result.Err.Should().Contain("services.web.replicas").And.Contain("services.web.healthcheck.path")
            .And.Contain("services.web.healthcheck.timeout").And.Contain("services.web.strat").And.NotContain("   at ");
        (await platform.CliAsync("apps", "--json")).Out.Should().NotContain("invalid");
    }
}
