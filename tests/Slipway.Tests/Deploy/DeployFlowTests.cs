using System.Diagnostics;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform-solo")]
public sealed class DeployFlowTests
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

    [Fact]
    public async Task Twenty_deploys_and_ten_rollbacks_under_continuous_load_fail_no_request()
    {
        await using var platform = await TestPlatform.StartAsync();
        var v1 = TestApps.Copy("node-api", "1");
        var v2 = TestApps.Copy("node-api", "2");
        (await platform.DeployAsync(v1, "load")).ExitCode.Should().Be(0);

        await using var load = new LoadLoop(platform.EdgePort, "load");
        var expected = "1";
        for (var i = 0; i < 20; i++)
        {
            expected = i % 2 == 0 ? "2" : "1";
            var result = await platform.DeployAsync(expected == "2" ? v2 : v1, "load");
            result.ExitCode.Should().Be(0, result.ToString());
            (await platform.VersionAsync("load")).Should().Be(expected, $"deploy {i + 1} must be visible as soon as it returns");
        }
        for (var i = 0; i < 10; i++)
        {
            var result = await platform.CliAsync("rollback", "--app", "load");
            result.ExitCode.Should().Be(0, result.ToString());
            expected = expected == "1" ? "2" : "1";
            (await platform.VersionAsync("load")).Should().Be(expected, $"rollback {i + 1} must be visible as soon as it returns");
        }
        await load.StopAsync();

        load.Results.Count.Should().BeGreaterThan(200);
        load.Failures.Should().BeEmpty("no request may fail during deploys and rollbacks");
        load.Results.Select(r => r.Version).Distinct().Should().BeEquivalentTo(["1", "2"]);
        // Every switch is visible in the answers: the version changes at least once per deploy and rollback.
        var ordered = load.Results.OrderBy(r => r.At).Select(r => r.Version).ToList();
        var changes = ordered.Zip(ordered.Skip(1)).Count(p => p.First != p.Second);
        changes.Should().BeGreaterThanOrEqualTo(30);
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
    public async Task A_rollback_inside_the_warm_window_moves_all_traffic_within_a_second()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "warm")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(TestApps.Copy("node-api", "2"), "warm")).ExitCode.Should().Be(0);

        await using var load = new LoadLoop(platform.EdgePort, "warm");
        var watch = Stopwatch.StartNew();
        var rollback = await platform.CliAsync("rollback", "--app", "warm");
        var returnedAt = load.Now;
        watch.Stop();
        await Task.Delay(1500);
        await load.StopAsync();

        rollback.ExitCode.Should().Be(0, rollback.ToString());
        rollback.Out.Should().Contain("still warm");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
        load.Failures.Should().BeEmpty();
        var after = load.Results.Where(r => r.At >= returnedAt + TimeSpan.FromSeconds(1)).ToList();
        after.Should().NotBeEmpty().And.OnlyContain(r => r.Version == "1");
        load.Results.Where(r => r.At > returnedAt).Should().OnlyContain(r => r.Version == "1",
            "the switch happens before the command returns");
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

    [Fact]
    public async Task A_killed_instance_serves_again_within_seconds_while_its_sibling_keeps_serving()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "crashy")).ExitCode.Should().Be(0);
        var status = JsonDocument.Parse((await platform.CliAsync("status", "--app", "crashy", "--json")).Out).RootElement;
        var victim = status.GetProperty("instances").EnumerateArray().First();
        var pid = victim.GetProperty("pid").GetInt32();
        var id = victim.GetProperty("id").GetString();

        await using var load = new LoadLoop(platform.EdgePort, "crashy");
        await Task.Delay(300);
        Slipway.Runtime.ProcessGroups.Signal(pid, Slipway.Runtime.ProcessGroups.SigKill);
        var killedAt = Stopwatch.StartNew();
        var back = false;
        while (killedAt.Elapsed < TimeSpan.FromSeconds(10))
        {
            var now = JsonDocument.Parse((await platform.CliAsync("status", "--app", "crashy", "--json")).Out).RootElement;
            var instance = now.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("id").GetString() == id);
            if (instance.GetProperty("state").GetString() == "healthy" && instance.GetProperty("pid").GetInt32() != pid)
            {
                back = true;
                break;
            }
            await Task.Delay(50);
        }
        var elapsed = killedAt.Elapsed;
        await load.StopAsync();

        back.Should().BeTrue("the supervisor restarts a killed instance");
        // The restart is immediate; the new node process answering has taken 2.1 s on a shared, noisy two-core machine,
        // and 3.10 and 3.15 s in two full runs' last phase (node's own start, not the supervisor): 4 s still fails a
        // restart that waits for anything (a backoff, a probe interval, the old process's port).
        elapsed.Should().BeLessThan(TimeSpan.FromSeconds(4));
        load.Failures.Should().BeEmpty("the other replica serves while one restarts");
    }
}
