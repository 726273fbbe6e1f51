using Slipway.Monitoring.Uptime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Uptime;

/// <summary>The pure parts: when incidents open and close, availability, expected statuses, check specs.</summary>
public sealed class UptimeLogicTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static UptimeResult R(int second, bool ok) => new(T0.AddSeconds(second), ok, ok ? 200 : 502, 5, ok ? null : "HTTP 502");

    private static List<(IncidentStep Step, DateTimeOffset At)> Run(params bool[] results)
    {
        var tracker = new IncidentTracker();
        return results.Select((ok, i) => (tracker.Observe(R(i * 60, ok)), tracker.At)).Where(s => s.Item1 is IncidentStep.Open or IncidentStep.Close).ToList();
    }

    [Fact]
    public void An_incident_opens_at_the_second_failure_from_the_first_and_closes_at_the_second_success_from_the_first()
    {
        Run(true, false, false, false, true, true, true).Should().Equal(
            (IncidentStep.Open, T0.AddMinutes(1)),
            (IncidentStep.Close, T0.AddMinutes(4)));
    }

    [Fact]
    public void A_flapping_target_opens_no_incident_and_a_down_target_that_blips_up_stays_in_one()
    {
        Run(true, false, true, false, true, false, true, false, true, false).Should().BeEmpty();
        Run(false, false, true, false, false, true, false, false, true, true).Should().Equal(
            (IncidentStep.Open, T0),
            (IncidentStep.Close, T0.AddMinutes(8)));
    }

    [Fact]
    public void A_restored_tracker_goes_on_from_the_stored_streak()
    {
        var tracker = IncidentTracker.Restore(down: false, [R(0, true), R(60, false)]);
        tracker.Observe(R(120, false)).Should().Be(IncidentStep.Open);
        tracker.At.Should().Be(T0.AddSeconds(60));
        var open = IncidentTracker.Restore(down: true, [R(0, false), R(60, true)]);
        open.Observe(R(120, true)).Should().Be(IncidentStep.Close);
        open.At.Should().Be(T0.AddSeconds(60));
    }

    [Fact]
    public void Availability_is_time_weighted_from_when_the_check_exists_with_overlaps_counted_once()
    {
        var clock = new ManualClock(T0);
        clock.Advance(TimeSpan.FromDays(1));
        var now = clock.GetUtcNow();
        Downtime[] incidents = [new(T0.AddHours(1), T0.AddHours(1).AddMinutes(30)), new(T0.AddHours(1).AddMinutes(20), T0.AddHours(2)), new(now.AddMinutes(-12), null)];

        Availability.Down(incidents, T0, now).Should().Be(TimeSpan.FromMinutes(72));
        Availability.Percent(incidents, T0, now.AddDays(-1), now).Should().BeApproximately(100 * (1 - 72.0 / 1440), 1e-9);
        Availability.Percent(incidents, T0.AddHours(12), now.AddDays(-7), now).Should().BeApproximately(100 * (1 - 12.0 / 720), 1e-9,
            "a check 12 hours old is measured over its 12 hours, not the 7 days");
        Availability.Percent([], T0, now.AddDays(-30), now).Should().Be(100);
        Availability.Percent(incidents, now, now.AddDays(-1), now).Should().BeNull("the check did not exist in the window");
    }

    [Fact]
    public void A_ninety_day_bar_has_no_data_before_the_check_and_grades_each_day()
    {
        var now = T0.AddDays(2).AddHours(6);
        Downtime[] incidents = [new(T0.AddHours(1), T0.AddHours(1).AddMinutes(5)), new(T0.AddDays(1).AddHours(3), T0.AddDays(1).AddHours(4))];

        var days = Availability.Days(incidents, T0, now);

        days.Should().HaveCount(90);
        days[^1].Date.Should().Be(new DateOnly(2026, 12, 3));
        days.Take(87).Should().OnlyContain(d => d.Level == DayLevel.NoData && d.Percent == null);
        days[^3].Level.Should().Be(DayLevel.Some, "5 minutes of the 12 hours it existed that day");
        days[^3].Percent.Should().BeApproximately(100 * (1 - 5.0 / 720), 1e-9);
        days[^2].Level.Should().Be(DayLevel.Major, "an hour is more than 1% of a day");
        days[^1].Level.Should().Be(DayLevel.None);
    }

    [Theory]
    [InlineData(null, 200, true)]
    [InlineData(null, 301, true)]
    [InlineData(null, 404, false)]
    [InlineData("200", 204, false)]
    [InlineData("200,204", 204, true)]
    [InlineData("2xx", 299, true)]
    [InlineData("3xx,401", 401, true)]
    public void Expected_statuses_are_codes_lists_or_classes(string? expect, int status, bool up) =>
        UptimeExpectation.Parse(expect).Matches(status).Should().Be(up);

    [Fact]
    public void A_check_spec_is_validated_whole_with_each_flag_named()
    {
        var options = new UptimeOptions();
        var spec = UptimeCheckSpec.Parse("https://Shop.Example.com/health", null, null, new UptimeSettings(null, null, null, null, null), options);
        spec.Name.Should().Be("shop-example-com");

        var bad = () => UptimeCheckSpec.Parse("https://shop.example.com/", "home", null, new UptimeSettings("1s", "20x", "0s", 120, null), options);
        bad.Should().Throw<UserException>().Which.Message.Should()
            .Contain("--every 1s").And.Contain("from 10s").And.Contain("'20x' is not an HTTP status").And.Contain("--timeout 0s").And.Contain("--slo 120");
        ((Action)(() => UptimeCheckSpec.Parse("ftp://x.example/", null, null, new UptimeSettings(null, null, null, null, null), options)))
            .Should().Throw<UserException>().WithMessage("*not a URL to check*");
        ((Action)(() => UptimeCheckSpec.Parse("https://user:pw@x.example/", null, null, new UptimeSettings(null, null, null, null, null), options)))
            .Should().Throw<UserException>().WithMessage("*no credentials*");
    }
}
