using Slipway.Jobs;
using Slipway.Manifests;

namespace Slipway.Tests.Manifests;

public sealed class CronScheduleTests
{
    private static DateTimeOffset Utc(string text) => JobTime.Parse(text);

    [Theory]
    [InlineData("*/15 * * * *", "2026-03-02T10:07:00Z", "2026-03-02T10:15:00.000Z")]
    [InlineData("0 3 * * *", "2026-03-02T03:00:00Z", "2026-03-03T03:00:00.000Z")]
    [InlineData("0 */4 * * *", "2026-03-02T05:59:59Z", "2026-03-02T08:00:00.000Z")]
    [InlineData("0 4 * * SUN", "2026-03-02T00:00:00Z", "2026-03-08T04:00:00.000Z")]
    [InlineData("30 9 1 JAN,JUL *", "2026-03-02T00:00:00Z", "2026-07-01T09:30:00.000Z")]
    public void Next_is_the_first_occurrence_strictly_after(string expression, string after, string expected)
    {
        JobTime.Format(CronSchedule.Parse(expression, null).Next(Utc(after))).Should().Be(expected);
    }

    [Fact]
    public void A_time_zone_moves_the_schedule_with_daylight_saving()
    {
        var berlin = CronSchedule.Parse("0 9 * * *", "Europe/Berlin");

        JobTime.Format(berlin.Next(Utc("2026-01-10T12:00:00Z"))).Should().Be("2026-01-11T08:00:00.000Z", "09:00 CET is 08:00 UTC");
        JobTime.Format(berlin.Next(Utc("2026-07-10T12:00:00Z"))).Should().Be("2026-07-11T07:00:00.000Z", "09:00 CEST is 07:00 UTC");
    }

    [Fact]
    public void A_time_skipped_by_the_clock_change_runs_right_after_the_gap_and_a_repeated_one_runs_once()
    {
        // Europe/Berlin: 2026-03-29 02:00 -> 03:00 (02:30 does not exist); 2026-10-25 03:00 -> 02:00 (02:30 happens twice).
        var spring = CronSchedule.Parse("30 2 * * *", "Europe/Berlin");
        JobTime.Format(spring.Next(Utc("2026-03-28T12:00:00Z"))).Should().Be("2026-03-29T01:00:00.000Z", "03:00 CEST, the end of the gap");

        var autumn = CronSchedule.Parse("30 2 * * *", "Europe/Berlin");
        var runs = autumn.Between(Utc("2026-10-24T12:00:00Z"), Utc("2026-10-26T12:00:00Z")).Select(JobTime.Format);
        runs.Should().Equal("2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z");
    }

    [Fact]
    public void Interval_jobs_keep_their_rhythm_through_the_repeated_hour_when_clocks_go_back()
    {
        // Europe/Berlin 2026-10-25: 02:00-02:59 happens twice (00:00-00:59 UTC as CEST, 01:00-01:59 UTC as CET).
        var quarterly = CronSchedule.Parse("*/15 * * * *", "Europe/Berlin");
        quarterly.Between(Utc("2026-10-24T23:50:00Z"), Utc("2026-10-25T02:00:00Z")).Select(JobTime.Format).Should().Equal(
            "2026-10-25T00:00:00.000Z", "2026-10-25T00:15:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-25T00:45:00.000Z",
            "2026-10-25T01:00:00.000Z", "2026-10-25T01:15:00.000Z", "2026-10-25T01:30:00.000Z", "2026-10-25T01:45:00.000Z",
            "2026-10-25T02:00:00.000Z");

        var hourly = CronSchedule.Parse("0 * * * *", "Europe/Berlin");
        hourly.Between(Utc("2026-10-24T22:30:00Z"), Utc("2026-10-25T02:30:00Z")).Select(JobTime.Format).Should().Equal(
            ["2026-10-24T23:00:00.000Z", "2026-10-25T00:00:00.000Z", "2026-10-25T01:00:00.000Z", "2026-10-25T02:00:00.000Z"],
            "an hourly job runs every hour of real time, the repeated one too");
    }

    [Fact]
    public void Between_lists_the_slots_a_downtime_missed()
    {
        var hourly = CronSchedule.Parse("0 * * * *", null);

        hourly.Between(Utc("2026-03-02T10:00:00Z"), Utc("2026-03-02T13:30:00Z")).Select(JobTime.Format)
            .Should().Equal("2026-03-02T11:00:00.000Z", "2026-03-02T12:00:00.000Z", "2026-03-02T13:00:00.000Z");
    }

    [Theory]
    [InlineData("61 * * * *", "not a valid cron schedule")]
    [InlineData("* 24 * * *", "not a valid cron schedule")]
    [InlineData("* * * * FUNDAY", "not a valid cron schedule")]
    [InlineData("0 3 * *", "expected five cron fields")]
    [InlineData("0 0 3 * * *", "expected five cron fields")]
    public void A_bad_expression_says_what_is_wrong_and_what_fields_mean(string expression, string expected)
    {
        CronSchedule.TryParse(expression, null, out var error).Should().BeNull();

        error.Should().Contain(expected).And.Contain(expression);
        if (expected.StartsWith("not", StringComparison.Ordinal))
        {
            error.Should().Contain("minute (0-59) hour (0-23)");
        }
    }

    [Fact]
    public void An_unknown_time_zone_names_the_form_to_use()
    {
        CronSchedule.TryParse("0 3 * * *", "Mars/Olympus", out var error).Should().BeNull();

        error.Should().Contain("unknown time zone \"Mars/Olympus\"").And.Contain("\"Europe/Berlin\"");
    }
}
