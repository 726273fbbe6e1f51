using Slipway.Edge;
using Slipway.Monitoring;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring;

/// <summary>What the dashboard's charts draw (<see cref="MetricsCharts"/> over <see cref="MetricsHistory.Minutes"/>):
/// equal steps with status classes and percentiles from each step's merged buckets, one service or route picked out,
/// and the minute now running counted before it is rolled up, once.</summary>
public sealed class MetricsChartsTests
{
    private static readonly AppRoute Shop = new("shop", "d-1", ["shop.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop") };

    [Fact]
    public void Steps_hold_status_classes_and_percentiles_of_their_own_minutes_for_the_series_picked()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-04T10:00:30Z", System.Globalization.CultureInfo.InvariantCulture));
        var metrics = new AccessMetrics();
        var history = new MetricsHistory(Path.Combine(TempDirs.Create("charts"), "metrics.db"), metrics, clock);
        for (var i = 0; i < 50; i++)
        {
            metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(4));
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        history.RollUp();
        for (var i = 0; i < 10; i++)
        {
            metrics.Record(Shop, "web", "/api/:id", 500, TimeSpan.FromMilliseconds(800));
        }
        metrics.Record(Shop, "web", "/", 404, TimeSpan.FromMilliseconds(2));

        var now = clock.GetUtcNow();
        var all = MetricsCharts.Build(history.Minutes(AppRef.Of("shop"), now - TimeSpan.FromHours(1)), now - TimeSpan.FromHours(1), now, 60, null, null);
        all.StepSeconds.Should().Be(60);
        all.Totals.Requests.Should().Be(61, "the stored minute and the one still running");
        all.Requests[^1].Should().Be(11, "the running minute is the last step");
        all.Requests[^2].Should().Be(50);
        all.Statuses["5xx"][^1].Should().Be(10);
        all.Statuses["4xx"][^1].Should().Be(1);
        all.Statuses["2xx"][^2].Should().Be(50);
        all.P50Ms[^2].Should().BeInRange(2.5, 5);
        all.P99Ms[^1].Should().BeInRange(500, 1000, "that minute's slow answers, not the window's");
        all.P50Ms[0].Should().BeNull("a step without requests has no latency");
        all.Times[1].Should().Be(all.Times[0] + 60);
        all.Series.Select(s => $"{s.Service} {s.Route} {s.Requests} {s.Errors}").Should().Equal("web / 51 0", "web /api/:id 10 10");

        var api = MetricsCharts.Build(history.Minutes(AppRef.Of("shop"), now - TimeSpan.FromHours(1)), now - TimeSpan.FromHours(1), now, 60, "web", "/api/:id");
        api.Totals.Requests.Should().Be(10);
        api.Totals.Statuses["5xx"].Should().Be(10);
        api.Series.Should().HaveCount(2, "the picker still lists every series");

        var week = MetricsCharts.Build(history.Minutes(AppRef.Of("shop"), now - TimeSpan.FromDays(7)), now - TimeSpan.FromDays(7), now, 168, null, null);
        week.StepSeconds.Should().Be(3600);
        week.Times.Should().HaveCount(169);
        week.Requests.Sum().Should().Be(61);

        clock.Advance(TimeSpan.FromMinutes(1));
        history.RollUp();
        MetricsCharts.Build(history.Minutes(AppRef.Of("shop"), now - TimeSpan.FromHours(1)), now - TimeSpan.FromHours(1), clock.GetUtcNow(), 60, null, null)
            .Totals.Requests.Should().Be(61, "a minute rolled up is no longer counted as running too");
    }
}
