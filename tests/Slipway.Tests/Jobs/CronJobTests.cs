using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Jobs;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>Cron jobs against a real deployed app (real processes, real HTTP), with the jobs clock moved by
/// hand so a schedule fires without waiting for it.</summary>
[Collection("platform-3")]
public sealed class CronJobTests
{
    private static DateTimeOffset NextFiveMinutes(DateTimeOffset now) =>
        new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute - now.Minute % 5, 0, TimeSpan.Zero).AddMinutes(5);

    [Fact]
    public async Task An_http_job_fires_on_schedule_with_the_cron_secret_and_the_app_rejects_callers_without_it()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        var deploy = await platform.DeployAsync(JobsApp.Create([JobsApp.Http("tick", "*/5 * * * *", "/cron/tick")]), "crony");
        deploy.ExitCode.Should().Be(0, deploy.ToString());

        await platform.TickAsync();
        platform.Jobs().ListRuns("crony", "tick", 10).Should().BeEmpty("a new job never fires for the past");
        var slot = NextFiveMinutes(clock.GetUtcNow());
        clock.MoveTo(slot.AddSeconds(-1));
        await platform.TickAsync();
        platform.Jobs().ListRuns("crony", "tick", 10).Should().BeEmpty("not due yet");
        clock.MoveTo(slot.AddSeconds(2));
        await platform.TickAsync();

        var run = (await platform.RunsAsync("crony", "tick", r => r.Count == 1 && r[0].Status != CronRunStatus.Running)).Newest();
        run.Status.Should().Be(CronRunStatus.Succeeded, run.Error);
        run.HttpStatus.Should().Be(200);
        run.Trigger.Should().Be(CronTrigger.Schedule);
        run.ScheduledAt.Should().Be(JobTime.Format(slot));
        var calls = await platform.GetJsonAsync("crony", "/calls");
        calls.EnumerateArray().Should().ContainSingle(c => c.GetProperty("name").GetString() == "tick" && c.GetProperty("ok").GetBoolean());

        using (var outsider = await platform.GetAsync("crony", "/cron/tick"))
        {
            outsider.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a caller without the secret is rejected by the app");
        }
        var logs = await platform.LogsContainingAsync("cron tick ran with secret", "--app", "crony");
        logs.Out.Should().Contain("cron tick ran with secret [secret CRON_SECRET]", "the secret is redacted from stored logs");

        await platform.TickAsync();
        platform.Jobs().ListRuns("crony", "tick", 10).Should().HaveCount(1, "a slot runs once");

        var ls = await platform.CliAsync("cron", "ls", "--app", "crony", "--json");
        ls.ExitCode.Should().Be(0, ls.ToString());
        var job = JsonDocument.Parse(ls.Out).RootElement[0];
        job.GetProperty("name").GetString().Should().Be("tick");
        job.GetProperty("nextRun").GetString().Should().Be(JobTime.Format(slot.AddMinutes(5)));
        job.GetProperty("lastRun").GetProperty("status").GetString().Should().Be("succeeded");
        var history = await platform.CliAsync("cron", "runs", "tick", "--app", "crony");
        history.Out.Should().Contain("succeeded (200)").And.Contain("{\"done\":\"tick\"}");

        (await platform.CliAsync("env", "ls", "--app", "crony", "--json")).Out.Should().NotContain("CRON_SECRET", "generated secrets are not config vars");
        (await platform.CliAsync("keys", "rotate")).ExitCode.Should().Be(0);
        using var runs = new MeterReadings("slipway.cron.", new Dictionary<string, string> { ["app"] = "crony", ["job"] = "tick", ["result"] = "succeeded" });
        (await platform.CliAsync("cron", "run", "tick", "--app", "crony")).Out.Should().Contain("succeeded (200)", "a key rotation keeps the generated secret");
        (await runs.ReadAsync("slipway.cron.runs", "slipway.cron.run.duration")).Should().ContainKeys(["slipway.cron.runs", "slipway.cron.run.duration"],
            "each run that ends is counted with its result and duration");
        (await platform.CliAsync("env", "set", "--app", "crony", "--secret", "CRON_SECRET=my-own-cron-secret")).ExitCode.Should().Be(0);
        var own = await platform.CliAsync("cron", "run", "tick", "--app", "crony");
        own.ExitCode.Should().Be(0, own.ToString());
        own.Out.Should().Contain("succeeded (200)", "the app's own CRON_SECRET is the one sent");
        (await platform.GetJsonAsync("crony", "/calls")).EnumerateArray().Should().OnlyContain(c => c.GetProperty("ok").GetBoolean() || c.GetProperty("job").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task A_long_job_is_skipped_on_the_next_tick_not_overlapped()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        var app = JobsApp.Create(
        [
            JobsApp.Http("slow", "* * * * *", "/cron/slow", j => j["timeout"] = "2m"),
            JobsApp.Http("impatient", "0 0 1 1 *", "/cron/slow", j => j["timeout"] = "1s"),
        ]);
        (await platform.DeployAsync(app, "slowpoke")).ExitCode.Should().Be(0);

        await platform.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        await platform.TickAsync();
        var first = (await platform.RunsAsync("slowpoke", "slow", r => r.Count == 1)).Newest();
        await WaitForCallAsync(platform, "slowpoke", "slow");
        clock.Advance(TimeSpan.FromMinutes(1));
        await platform.TickAsync();

        var runs = await platform.RunsAsync("slowpoke", "slow", r => r.Count == 2);
        runs[0].Status.Should().Be(CronRunStatus.Skipped);
        runs[0].Error.Should().Contain($"the previous run ({first.Id}) was still running");
        runs[1].Status.Should().Be(CronRunStatus.Running);
        (await platform.GetJsonAsync("slowpoke", "/calls")).GetArrayLength().Should().Be(1, "the job was not started twice");

        var impatient = await platform.CliAsync("cron", "run", "impatient", "--app", "slowpoke", "--json");
        impatient.ExitCode.Should().Be(1, impatient.ToString());
        JsonDocument.Parse(impatient.Out).RootElement.GetProperty("status").GetString().Should().Be("timed-out");
        JsonDocument.Parse(impatient.Out).RootElement.GetProperty("error").GetString().Should().Contain("did not answer within 1s");
    }

    [Fact]
    public async Task Missed_runs_follow_the_policy_after_a_restart()
    {
        // Half past, not the real minute: 20 h after a start near the hour, the newest hourly slot would be less than
        // LateTolerance old and rightly run as on schedule rather than as missed (this failed CI once at 11:00:30).
        var hour = DateTimeOffset.UtcNow;
        var clock = new ManualClock(new DateTimeOffset(hour.Year, hour.Month, hour.Day, hour.Hour, 30, 20, TimeSpan.Zero).AddHours(-1));
        var data = TempDirs.Create("platform");
        var app = JobsApp.Create(
        [
            JobsApp.Http("catch-up", "0 * * * *", "/cron/catch-up"),
            JobsApp.Http("skipper", "0 * * * *", "/cron/skipper", j => j["missed"] = "skip"),
            JobsApp.Http("minutely", "* * * * *", "/cron/minutely"),
        ]);
        await using (var first = await TestPlatform.StartAsync(dataDir: data, jobsClock: clock))
        {
            first.KeepData = true;
            (await first.DeployAsync(app, "sleepy")).ExitCode.Should().Be(0);
            await first.TickAsync();
        }
        clock.Advance(TimeSpan.FromHours(20));

        await using var platform = await TestPlatform.StartAsync(dataDir: data, jobsClock: clock);
        await platform.TickAsync();
        await platform.TickAsync();

        var caughtUp = await platform.RunsAsync("sleepy", "catch-up", r => r.Count == 1 && r[0].Status != CronRunStatus.Running);
        caughtUp.Newest().Status.Should().Be(CronRunStatus.Succeeded, caughtUp.Newest().Error);
        caughtUp.Newest().Trigger.Should().Be(CronTrigger.Missed, "twenty hourly runs were missed and run once");
        var skipped = await platform.RunsAsync("sleepy", "skipper", r => r.Count == 1);
        skipped.Newest().Status.Should().Be(CronRunStatus.Skipped);
        skipped.Newest().Error.Should().Contain("20 run(s) were missed while the platform was down");
        await platform.RunsAsync("sleepy", "minutely", r => r.Count == 1 && r[0].Status != CronRunStatus.Running);
        var calls = await platform.GetJsonAsync("sleepy", "/calls");
        calls.EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order().Should().Equal(["catch-up", "minutely"],
            "1200 missed minutes are caught up by one run, not one per batch of slots");
    }

    [Fact]
    public async Task A_deploy_changes_the_schedule_and_a_rollback_restores_the_old_one()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([JobsApp.Http("report", "*/5 * * * *", "/cron/report")]), "sched")).ExitCode.Should().Be(0);
        await platform.TickAsync();
        (await platform.DeployAsync(JobsApp.Create([JobsApp.Http("digest", "0 9 * * MON", "/cron/digest", j => j["timeZone"] = "Europe/Berlin")], "v2"), "sched"))
            .ExitCode.Should().Be(0);
        await platform.TickAsync();
        Names(await platform.CliAsync("cron", "ls", "--app", "sched", "--json")).Should().Equal("digest");

        (await platform.CliAsync("rollback", "--app", "sched")).ExitCode.Should().Be(0);
        var ls = await platform.CliAsync("cron", "ls", "--app", "sched", "--json");
        Names(ls).Should().Equal("report");
        JsonDocument.Parse(ls.Out).RootElement[0].GetProperty("schedule").GetString().Should().Be("*/5 * * * *");

        await platform.TickAsync();
        clock.MoveTo(NextFiveMinutes(clock.GetUtcNow()).AddSeconds(1));
        await platform.TickAsync();
        var run = (await platform.RunsAsync("sched", "report", r => r.Count == 1 && r[0].Status != CronRunStatus.Running)).Newest();
        run.Status.Should().Be(CronRunStatus.Succeeded, run.Error);
        platform.Jobs().ListRuns("sched", "digest", 10).Should().BeEmpty();
    }

    [Fact]
    public async Task A_command_job_runs_in_the_build_and_its_output_and_exit_code_land_in_its_history()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = JobsApp.Create(
        [
            JobsApp.Command("rollup", "0 3 * * *", "node job.js"),
            JobsApp.Command("broken", "0 3 * * *", "JOB_EXIT=3 node job.js", j => { j["retries"] = 1; j["retryBackoff"] = "100ms"; }),
        ]);
        (await platform.DeployAsync(app, "batch")).ExitCode.Should().Be(0);

        var ok = await platform.CliAsync("cron", "run", "rollup", "--app", "batch");
        ok.ExitCode.Should().Be(0, ok.ToString());
        ok.Out.Should().Contain("succeeded (exit 0)").And.Contain("| processed 3 rows").And.Contain("| a warning on stderr");
        var failed = await platform.CliAsync("cron", "run", "broken", "--app", "batch", "--json");
        failed.ExitCode.Should().Be(1, failed.ToString());
        var run = JsonDocument.Parse(failed.Out).RootElement;
        run.GetProperty("status").GetString().Should().Be("failed");
        run.GetProperty("exitCode").GetInt32().Should().Be(3);
        run.GetProperty("attempts").GetInt32().Should().Be(2, "one retry after the failed attempt");
        run.GetProperty("output").GetString().Should().Contain("processed 3 rows");

        var history = await platform.CliAsync("cron", "runs", "rollup", "--app", "batch", "--json");
        var runs = JsonDocument.Parse(history.Out).RootElement;
        runs.GetArrayLength().Should().Be(1);
        runs[0].GetProperty("output").GetString().Should().Contain($"job rollup run {runs[0].GetProperty("id").GetString()} starting");
        runs[0].GetProperty("trigger").GetString().Should().Be("manual");
        platform.Services.GetRequiredService<Store>().ListEvents("batch")
            .Should().Contain(e => e.Kind == "cron.failed" && e.Message.Contains("cron job broken"), "failures are recorded for alerting");
        var logs = await platform.LogsContainingAsync("processed 3 rows", "--app", "batch");
        logs.Out.Should().Contain("processed 3 rows", "command jobs' output is in the app's logs too");
    }

    [Fact]
    public async Task Stopping_the_app_stops_its_running_command_job()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(JobsApp.Create([JobsApp.Command("long", "0 3 * * *", "echo started; sleep 68.25")]), "halt")).ExitCode.Should().Be(0);
        var started = await platform.CliAsync("cron", "run", "long", "--app", "halt", "--no-wait", "--json");
        var id = JsonDocument.Parse(started.Out).RootElement.GetProperty("id").GetString();
        await platform.RunsAsync("halt", "long", _ => ProcessTable.AnyRunning("sleep 68.25"));

        (await platform.CliAsync("stop", "--app", "halt")).ExitCode.Should().Be(0);

        var run = (await platform.RunsAsync("halt", "long", r => r[0].Status != CronRunStatus.Running)).Newest();
        run.Id.Should().Be(id);
        run.Status.Should().Be(CronRunStatus.Interrupted);
        run.Error.Should().Contain("the app was stopped");
        run.Output.Should().Contain("started");
        (await ProcessTable.GoneAsync("sleep 68.25")).Should().BeTrue();
    }

    [Fact]
    public async Task Cron_commands_explain_what_to_do_when_there_is_nothing()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(JobsApp.Create([]), "plain")).ExitCode.Should().Be(0);

        (await platform.CliAsync("cron", "ls", "--app", "plain")).Out.Should().Contain("Declare them under \"crons\" in slipway.json");
        var run = await platform.CliAsync("cron", "run", "nightly", "--app", "plain");
        run.ExitCode.Should().Be(1);
        run.Err.Should().Contain("declares no cron jobs");
        (await platform.CliAsync("cron", "ls", "--app", "nothing-here")).Err.Should().Contain("nothing-here");
    }

    private static async Task WaitForCallAsync(TestPlatform platform, string app, string name)
    {
        var deadline = DateTime.UtcNow + JobsHarness.Patience;
        while ((await platform.GetJsonAsync(app, "/calls")).EnumerateArray().All(c => c.GetProperty("name").GetString() != name))
        {
            DateTime.UtcNow.Should().BeBefore(deadline);
            await Task.Delay(100);
        }
    }

    private static IEnumerable<string?> Names(CliResult ls) =>
        JsonDocument.Parse(ls.Out).RootElement.EnumerateArray().Select(j => j.GetProperty("name").GetString());
}
