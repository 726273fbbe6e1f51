using Slipway.Jobs;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>History retention against a real job: keeping the newest runs must not drop a run still in progress.</summary>
[Collection("platform")]
public sealed class CronHistoryTests
{
    [Fact]
    public async Task A_run_longer_than_the_kept_history_keeps_its_record_and_finishes_in_it()
    {
        var clock = new ManualClock();
        await using var platform = await TestPlatform.StartAsync(jobsClock: clock);
        (await platform.DeployAsync(JobsApp.Create([JobsApp.Command("long", "* * * * *", "echo started; sleep 12")]), "hoard")).ExitCode.Should().Be(0);
        await platform.TickAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        await platform.TickAsync();
        var first = (await platform.RunsAsync("hoard", "long", r => r.Count == 1)).Newest();
        first.Status.Should().Be(CronRunStatus.Running);

        for (var i = 0; i < JobStore.KeptRuns + 5; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await platform.TickAsync();
        }

        var runs = await platform.RunsAsync("hoard", "long", r => r.Any(run => run.Id == first.Id && run.Status != CronRunStatus.Running));
        runs.Single(run => run.Id == first.Id).Status.Should().Be(CronRunStatus.Succeeded, "the long run finished and says so");
        runs.Count(run => run.Status == CronRunStatus.Skipped).Should().BeLessThanOrEqualTo(JobStore.KeptRuns, "older skipped runs are still pruned");
    }
}
