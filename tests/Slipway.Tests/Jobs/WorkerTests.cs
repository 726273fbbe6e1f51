using System.Text.RegularExpressions;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>Workers (supervised by the core) during a deploy: the old worker gets SIGTERM and the grace period
/// (deploy.stopTimeout) to finish the job it holds, after the new version's release step and health gate.</summary>
[Collection("platform")]
public sealed partial class WorkerTests
{
    [Fact]
    public async Task A_worker_finishes_its_in_flight_job_during_a_deploy()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(JobsApp.Create([], "v1", worker: true), "busy")).ExitCode.Should().Be(0);
        await platform.LogsContainingAsync("worker v1 job 1 finished", "--app", "busy");

        var deploy = await platform.DeployAsync(JobsApp.Create([], "v2", worker: true), "busy");
        deploy.ExitCode.Should().Be(0, deploy.ToString());

        var logs = (await platform.LogsContainingAsync("worker v1 exiting after its job", "--app", "busy", "--tail", "1000")).Out;
        var lines = logs.Split('\n').Where(l => l.Contains("worker v1", StringComparison.Ordinal)).ToList();
        var sigterm = lines.FindIndex(l => l.Contains("got SIGTERM", StringComparison.Ordinal));
        sigterm.Should().BeGreaterThan(0, logs);
        var inFlight = lines.Take(sigterm).Select(l => JobStarted().Match(l)).Last(m => m.Success).Groups[1].Value;
        var after = lines.Skip(sigterm + 1).ToList();
        after.Should().HaveCount(2, "the job in hand finishes, then the worker exits; it starts no other job: " + logs);
        after[0].Should().Contain($"worker v1 job {inFlight} finished");
        after[1].Should().Contain("worker v1 exiting after its job");
        logs.Should().Contain("worker v2 job 1 started");
    }

    [GeneratedRegex(@"worker v1 job (\d+) started")]
    private static partial Regex JobStarted();
}
