using FluentAssertions;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Runtime;

/// <summary>The one restart policy app instances and the servers the platform runs share.</summary>
public sealed class RestartBackoffTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void The_first_restart_is_immediate_then_the_wait_doubles_up_to_fifteen_seconds()
    {
        var restarts = new RestartBackoff(RestartBackoff.Servers, _clock);
        var delays = Enumerable.Range(0, 9).Select(_ => restarts.AfterExit(1)).ToList();

        delays.Should().OnlyContain(d => d.Restart);
        delays.Select(d => d.Delay.TotalMilliseconds).Should().Equal(0, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000);
    }

    [Fact]
    public void A_process_that_ran_for_a_while_starts_a_new_series()
    {
        var restarts = new RestartBackoff(new RestartSpec { MaxRetries = 2 }, _clock);
        restarts.AfterExit(1).Delay.Should().Be(TimeSpan.Zero);
        restarts.AfterExit(1).Delay.Should().Be(TimeSpan.FromMilliseconds(500));

        restarts.Started();
        _clock.Advance(RestartBackoff.StableAfter + TimeSpan.FromSeconds(1));

        var decision = restarts.AfterExit(1);
        decision.Should().Be(RestartDecision.After(TimeSpan.Zero));
        restarts.FailuresInARow.Should().Be(1);
    }

    [Fact]
    public void Retries_used_up_say_why_the_process_stays_down()
    {
        var restarts = new RestartBackoff(new RestartSpec { MaxRetries = 2 }, _clock);
        restarts.AfterExit(1).Restart.Should().BeTrue();
        restarts.AfterExit(1).Restart.Should().BeTrue();

        var third = restarts.AfterExit(1);

        third.Restart.Should().BeFalse();
        third.GaveUp.Should().Be("crashed 3 times in a row; not restarting (restart.maxRetries = 2)");
    }

    [Theory]
    [InlineData("never", 1, false)]
    [InlineData("never", 0, false)]
    [InlineData("on-failure", 0, false)]
    [InlineData("on-failure", 1, true)]
    [InlineData("on-failure", -9, true)]
    [InlineData("always", 0, true)]
    public void The_policy_decides_which_exits_restart(string policy, int exitCode, bool restart)
    {
        var spec = new RestartSpec { Policy = ManifestKeys.RestartPolicies[policy] };
        var decision = new RestartBackoff(spec, _clock).AfterExit(exitCode);

        decision.Restart.Should().Be(restart);
        // Staying down by policy is not giving up: nothing to report.
        if (!restart)
        {
            decision.GaveUp.Should().BeNull();
        }
    }

    [Fact]
    public void Servers_are_restarted_whatever_their_exit_without_limit()
    {
        var restarts = new RestartBackoff(RestartBackoff.Servers, _clock);

        Enumerable.Range(0, 1000).Select(i => restarts.AfterExit(i % 2)).Should().OnlyContain(d => d.Restart && d.Delay <= RestartBackoff.MaxDelay);
    }
}
