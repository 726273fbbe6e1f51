using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>services.NAME.strategy with real workers: each worker process appends "start"/"stop" lines (instance id,
/// version, milliseconds) to a file in a volume of the app, and the tests read the lifetimes from it. The worker takes
/// 300 ms after SIGTERM to "finish its job" (LINGER: longer), so an overlap cannot hide in a fast exit.</summary>
[Collection("platform")]
public sealed class WorkerStrategyTests
{
    private const string Worker = """
        const fs = require('fs');
        const log = (event) => fs.appendFileSync('log/workers.log', `${event} ${process.env.SLIPWAY_INSTANCE_ID} ${process.env.VERSION} ${Date.now()}\n`);
        log('start');
        process.on('exit', () => log('stop'));
        process.on('SIGTERM', () => { log('term'); setTimeout(() => process.exit(0), Number(process.env.LINGER || 300)); });
        if (process.env.CRASH) { console.log('worker: cannot reach the queue'); process.exit(3); }
        setInterval(() => {}, 1000);
        """;

    private const string Server = """
        require('http').createServer((q, s) => { s.setHeader('X-App-Version', process.env.VERSION); s.end('ok'); })
          .listen(process.env.PORT, process.env.HOST);
        """;

    [Fact]
    public async Task Stop_first_workers_never_run_two_at_once_through_deploys_a_warm_rollback_and_a_restart()
    {
        await using var platform = await TestPlatform.StartAsync();
        var log = LogFile(platform);

        (await Deploy(platform, App("1"))).Out.Should().Contain("is live");
        var second = await Deploy(platform, App("2"));
        (await platform.VersionAsync("queue")).Should().Be("2");

        var rollback = await platform.CliAsync("rollback", "--app", "queue");
        rollback.ExitCode.Should().Be(0, rollback.ToString());
        rollback.Out.Should().Contain("still warm");
        (await platform.VersionAsync("queue")).Should().Be("1");
        var restart = await platform.CliAsync("restart", "--app", "queue");
        restart.ExitCode.Should().Be(0, restart.ToString());

        var lives = Lifetimes(log);
        lives.Select(l => l.Version).Should().Equal(["1", "2", "1", "1"], "one worker per deploy, rollback and restart");
        lives.SkipLast(1).Should().OnlyContain(l => l.Stop != null, "each was replaced");
        AssertNoOverlap(lives);
        second.Out.Should().Contain("stopping the live version's worker jobs first (strategy \"stop-first\", up to 5s to finish its work)");
        var jobs = await Instances(platform, "jobs");
        jobs.Should().ContainSingle().Which.GetProperty("id").GetString().Should().Be(lives[^1].Id);
    }

    [Fact]
    public async Task A_new_worker_that_crashes_at_start_fails_the_deploy_and_the_old_worker_runs_again()
    {
        await using var platform = await TestPlatform.StartAsync();
        var log = LogFile(platform);
        (await Deploy(platform, App("1"))).ExitCode.Should().Be(0);

        var bad = await platform.DeployAsync(App("2", crash: true), "queue");

        bad.ExitCode.Should().Be(1, bad.ToString());
        bad.Err.Should().Contain("at step 'start'").And.Contain("jobs (replica 1) exited with code 3")
            .And.Contain("the live version's worker jobs").And.Contain("stopped first (strategy \"stop-first\"), was started again from its build and is running");
        bad.ToString().Should().Contain("worker: cannot reach the queue");
        (await platform.VersionAsync("queue")).Should().Be("1");

        var lives = Lifetimes(log);
        lives.Select(l => l.Version).Should().Equal(["1", "2", "1"], "the old worker stopped, the new one crashed, the old one came back");
        lives[1].Stop.Should().NotBeNull("the new worker crashed");
        lives[2].Stop.Should().BeNull("the old version's worker runs again");
        AssertNoOverlap(lives);
        var jobs = (await Instances(platform, "jobs")).Should().ContainSingle().Subject;
        jobs.GetProperty("id").GetString().Should().Be(lives[2].Id);
        jobs.GetProperty("state").GetString().Should().Be("healthy");
        var history = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "queue", "--json")).Out).RootElement;
        history.EnumerateArray().Select(d => d.GetProperty("status").GetString()).Should().Equal("failed", "live");
    }

    [Fact]
    public async Task Stop_during_a_rollout_leaves_the_stop_first_worker_stopped_instead_of_starting_it_again()
    {
        await using var platform = await TestPlatform.StartAsync();
        var log = LogFile(platform);
        var id = await CatchTheLiveWorkerStoppingAsync(platform, log);

        var stop = await platform.CliAsync("stop", "--app", "queue");

        stop.ExitCode.Should().Be(0, stop.ToString());
        (await new CliRunner(platform.DataDir).DeploymentAsync(id)).GetProperty("status").GetString().Should().Be("cancelled");
        var lives = Lifetimes(log);
        lives.Select(l => l.Version).Should().Equal(["1"], "a stop during the rollout never starts the old worker again, nor the new one");
        lives.Should().OnlyContain(l => l.Stop != null, "every worker stopped (and no instance is left: below)");
        (await new CliRunner(platform.DataDir).StatusAsync("queue")).GetProperty("state").GetString().Should().Be("stopped");
        (await Instances(platform, "jobs")).Should().BeEmpty();
        (await platform.CliAsync("logs", "--app", "queue", "--deployment", id)).Out
            .Should().Contain("stopped first (strategy \"stop-first\"), stays stopped: the app is being stopped");
    }

    [Fact]
    public async Task Cancel_during_a_rollout_starts_the_stop_first_worker_again()
    {
        await using var platform = await TestPlatform.StartAsync();
        var log = LogFile(platform);
        var id = await CatchTheLiveWorkerStoppingAsync(platform, log);

        var cancel = await platform.CliAsync("cancel", "--app", "queue");

        cancel.ExitCode.Should().Be(0, cancel.ToString());
        await platform.Engine.WaitAsync(id);
        (await new CliRunner(platform.DataDir).DeploymentAsync(id)).GetProperty("status").GetString().Should().Be("cancelled");
        var lives = Lifetimes(log);
        lives.Select(l => l.Version).Should().Equal(["1", "1"], "cancelled while the live worker stopped: version 2's never starts, version 1's starts again");
        lives[0].Stop.Should().NotBeNull();
        lives[1].Stop.Should().BeNull();
        (await Instances(platform, "jobs")).Should().ContainSingle().Which.GetProperty("id").GetString().Should().Be(lives[1].Id);
    }

    /// <summary>Version 1 live, then version 2 deploying: returns its id once the live worker got its SIGTERM (the
    /// rollout stops it first). That worker takes 4 s to finish its job, so whatever comes next from the test lands
    /// while the rollout waits for it, however slow the machine is.</summary>
    private static async Task<string> CatchTheLiveWorkerStoppingAsync(TestPlatform platform, string log)
    {
        await Deploy(platform, App("1", linger: true));
        var id = JsonDocument.Parse((await platform.DeployAsync(App("2"), "queue", "--no-follow", "--json")).Out).RootElement
            .GetProperty("id").GetString()!;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.ReadAllLines(log).Any(l => l.StartsWith("term ", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        Lifetimes(log).Should().ContainSingle().Which.Stop.Should().BeNull("the live worker is finishing its job");
        return id;
    }

    [Fact]
    public async Task A_start_first_worker_starts_beside_the_old_one_as_before()
    {
        await using var platform = await TestPlatform.StartAsync();
        var log = LogFile(platform);
        (await Deploy(platform, App("1", strategy: "start-first"))).ExitCode.Should().Be(0);

        var second = await Deploy(platform, App("2", strategy: "start-first"));

        second.Out.Should().NotContain("stopping the live version's");
        // Start-first retires the old worker after the switch, in the background.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Lifetimes(log)[0].Stop is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        var lives = Lifetimes(log);
        lives.Select(l => l.Version).Should().Equal("1", "2");
        lives[0].Stop.Should().NotBeNull();
        lives[1].Start.Should().BeLessThan(lives[0].Stop!.Value, "start-first: the new worker runs before the old one stops");
    }

    [Fact]
    public async Task A_version_whose_web_service_fails_its_check_never_interrupts_the_live_worker()
    {
        await using var platform = await TestPlatform.StartAsync();
        var log = LogFile(platform);
        (await Deploy(platform, App("1"))).ExitCode.Should().Be(0);
        var broken = App("2");
        File.WriteAllText(Path.Combine(broken, "server.js"), "console.error('web: missing config'); process.exit(1);");

        var bad = await platform.DeployAsync(broken, "queue");

        bad.ExitCode.Should().Be(1, bad.ToString());
        bad.Err.Should().Contain("web (replica 1) exited with code 1");
        bad.ToString().Should().NotContain("stopping the live version's worker", "web services pass their checks before a live worker is touched");
        var lives = Lifetimes(log);
        lives.Should().ContainSingle("the version-1 worker ran through the failed deploy, never stopped or restarted")
            .Which.Stop.Should().BeNull();
    }

    private static async Task<CliResult> Deploy(TestPlatform platform, string app)
    {
        var result = await platform.DeployAsync(app, "queue");
        result.ExitCode.Should().Be(0, result.ToString());
        return result;
    }

    /// <summary>The workers' log in the app's volume "log", as the platform keeps it on the host.</summary>
    private static string LogFile(TestPlatform platform) => Path.Combine(platform.DataDir, "volumes", "queue", "log", "workers.log");

    /// <summary>A web service and a worker "jobs" that both report <paramref name="version"/>.</summary>
    private static string App(string version, string? strategy = null, bool crash = false, bool linger = false)
    {
        var dir = TempDirs.Create("queue");
        File.WriteAllText(Path.Combine(dir, "worker.js"), Worker);
        File.WriteAllText(Path.Combine(dir, "server.js"), Server);
        var env = new JsonObject { ["VERSION"] = version };
        if (crash)
        {
            env["CRASH"] = "1";
        }
        if (linger)
        {
            env["LINGER"] = "4000";
        }
        var jobs = new JsonObject
        {
            ["type"] = "worker", ["start"] = "exec node worker.js", ["env"] = env,
            ["restart"] = new JsonObject { ["policy"] = "never" },
        };
        if (strategy is not null)
        {
            jobs["strategy"] = strategy;
        }
        var manifest = new JsonObject
        {
            ["services"] = new JsonObject
            {
                ["web"] = new JsonObject { ["start"] = "node server.js", ["env"] = new JsonObject { ["VERSION"] = version } },
                ["jobs"] = jobs,
            },
            ["deploy"] = new JsonObject { ["stopTimeout"] = "5s" },
            ["volumes"] = new JsonObject { ["log"] = "log" },
        };
        File.WriteAllText(Path.Combine(dir, "slipway.json"), manifest.ToJsonString());
        return dir;
    }

    private sealed record Lifetime(string Id, string Version, long Start, long? Stop);

    /// <summary>Each worker process's start and stop (null while it runs), in the order they started.</summary>
    private static List<Lifetime> Lifetimes(string log)
    {
        var lines = File.ReadAllLines(log).Select(line => line.Split(' ')).ToList();
        long? StopOf(string id) => lines.Where(l => l[0] == "stop" && l[1] == id).Select(l => (long?)long.Parse(l[3], CultureInfo.InvariantCulture)).FirstOrDefault();
        return lines.Where(l => l[0] == "start")
            .Select(l => new Lifetime(l[1], l[2], long.Parse(l[3], CultureInfo.InvariantCulture), StopOf(l[1])))
            .OrderBy(l => l.Start).ToList();
    }

    private static void AssertNoOverlap(List<Lifetime> lives)
    {
        foreach (var (earlier, later) in lives.Zip(lives.Skip(1)))
        {
            earlier.Stop.Should().NotBeNull($"worker {earlier.Id} (v{earlier.Version}) must stop before {later.Id} (v{later.Version}) starts");
            earlier.Stop!.Value.Should().BeLessThanOrEqualTo(later.Start,
                $"worker {earlier.Id} (v{earlier.Version}) and {later.Id} (v{later.Version}) must never run at once");
        }
    }

    private static async Task<List<JsonElement>> Instances(TestPlatform platform, string service) =>
        (await new CliRunner(platform.DataDir).StatusAsync("queue")).GetProperty("instances").EnumerateArray()
            .Where(i => i.GetProperty("service").GetString() == service).ToList();
}
