using Slipway.Cli;
using Slipway.Edge;
using Slipway.Monitoring;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring;

/// <summary>The per-minute history in its own SQLite file: each minute stores what the edge counted since the
/// previous one, percentiles over a window come from merged buckets, and 30 days or the size cap bound it.</summary>
public sealed class MetricsHistoryTests
{
    private static readonly AppRoute Shop = new("shop", "d-1", ["shop.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop") };
    private static readonly AppRoute ShopStaging = new("shop-staging", "d-2", ["shop-staging.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop", "staging") };

    [Fact]
    public void Each_minute_stores_the_difference_and_a_window_merges_the_minutes()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-04T10:00:30Z", System.Globalization.CultureInfo.InvariantCulture));
        var metrics = new AccessMetrics();
        var history = new MetricsHistory(Path.Combine(TempDirs.Create("history"), "metrics.db"), metrics, clock);
        for (var i = 0; i < 90; i++)
        {
            metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(4));
        }
        for (var i = 0; i < 10; i++)
        {
            metrics.Record(Shop, "web", "/", 503, TimeSpan.FromMilliseconds(800));
        }
        metrics.Record(ShopStaging, "web", "/", 200, TimeSpan.FromMilliseconds(1));
        clock.Advance(TimeSpan.FromMinutes(1));
        history.RollUp().Should().Be(2);
        clock.Advance(TimeSpan.FromMinutes(1));
        history.RollUp().Should().Be(0, "nothing new: a quiet minute stores nothing");
        for (var i = 0; i < 100; i++)
        {
            metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(4));
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        history.RollUp().Should().Be(1);

        var view = history.Query(AppRef.Of("shop"), clock.GetUtcNow() - TimeSpan.FromHours(1), points: 60);
        var series = view.Series.Should().ContainSingle().Subject;
        series.Requests.Should().Be(200, "the staging environment's request is its own");
        series.Statuses["5xx"].Should().Be(10);
        series.P50Ms.Should().BeInRange(2.5, 5);
        series.P99Ms.Should().BeInRange(500, 1000, "one request in twenty took 800 ms");
        series.RequestsPerStep.Sum().Should().Be(200);
        series.RequestsPerStep.Count(n => n > 0).Should().Be(2, "two minutes had requests");
        series.ErrorsPerStep.Sum().Should().Be(10);
        history.Query(AppRef.Of("shop", "staging"), clock.GetUtcNow() - TimeSpan.FromHours(1)).Series.Single().Requests.Should().Be(1);
        MetricsCommands.Sparkline([0, 1, 4, 8]).Should().Be("▁▂▅█");
    }

    [Fact]
    public void Minutes_older_than_30_days_and_past_the_size_cap_are_dropped_oldest_first()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-01T00:00:30Z", System.Globalization.CultureInfo.InvariantCulture));
        var metrics = new AccessMetrics();
        var file = Path.Combine(TempDirs.Create("history"), "metrics.db");
        var history = new MetricsHistory(file, metrics, clock, maxBytes: 256 << 10);
        for (var minute = 0; minute < 3000; minute++)
        {
            for (var route = 0; route < 3; route++)
            {
                metrics.Record(Shop, "web", "/r" + route, 200, TimeSpan.FromMilliseconds(minute % 50));
            }
            clock.Advance(TimeSpan.FromMinutes(1));
            history.RollUp();
        }
        var all = history.Query(AppRef.Of("shop"), clock.GetUtcNow() - MetricsHistory.Kept);
        var kept = all.Series.Sum(s => s.Requests);
        kept.Should().BeGreaterThan(0).And.BeLessThan(3 * 3000, "the size cap dropped the oldest minutes");
        var recent = history.Query(AppRef.Of("shop"), clock.GetUtcNow() - TimeSpan.FromMinutes(30));
        recent.Series.Sum(s => s.Requests).Should().Be(3 * 30, "the newest minutes are always kept");
        new FileInfo(file).Length.Should().BeLessThan(512 << 10, "deleted pages are given back to the file system");

        // 31 days later the whole first stretch is past the 30 days kept.
        clock.Advance(TimeSpan.FromDays(31));
        metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(1));
        history.RollUp();
        history.Query(AppRef.Of("shop"), clock.GetUtcNow() - MetricsHistory.Kept).Series.Sum(s => s.Requests).Should().Be(1);
    }

    [Fact]
    public void A_minute_stored_twice_adds_up_bucket_by_bucket_and_a_series_seen_anew_counts_from_zero()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-12-04T10:00:30Z", System.Globalization.CultureInfo.InvariantCulture));
        var metrics = new AccessMetrics();
        var history = new MetricsHistory(Path.Combine(TempDirs.Create("history"), "metrics.db"), metrics, clock);
        for (var i = 0; i < 50; i++)
        {
            metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(3));
        }
        history.RollUp(current: true); // a stop at 10:00:30
        for (var i = 0; i < 50; i++)
        {
            metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(3));
        }
        clock.Advance(TimeSpan.FromSeconds(31));
        history.RollUp(); // 10:01:01 stores 10:00 again
        var merged = history.Query(AppRef.Of("shop"), clock.GetUtcNow() - TimeSpan.FromMinutes(10)).Series.Single();
        merged.Requests.Should().Be(100);
        merged.P99Ms.Should().BeLessThan(5, "the minute's buckets add up to its requests (the review found p99 at 60 s when they did not)");

        // Destroyed and made anew: the edge's new series starts at zero, below what the history saw last.
        metrics.Remove("shop");
        for (var i = 0; i < 7; i++)
        {
            metrics.Record(Shop, "web", "/", 200, TimeSpan.FromMilliseconds(3));
        }
        clock.Advance(TimeSpan.FromMinutes(1));
        history.RollUp();
        history.Query(AppRef.Of("shop"), clock.GetUtcNow() - TimeSpan.FromMinutes(10)).Series.Single().Requests.Should().Be(107);
    }

    [Fact]
    public void A_damaged_history_file_is_moved_aside_and_a_new_one_started()
    {
        var dir = TempDirs.Create("history");
        var file = Path.Combine(dir, "metrics.db");
        File.WriteAllText(file, "this is not a database, it is a file a disk error left behind" + new string('x', 8192));
        var history = new MetricsHistory(file, new AccessMetrics(), new ManualClock());
        history.RollUp().Should().Be(0);
        Directory.GetFiles(dir, "metrics.db.damaged-*").Should().ContainSingle();
    }
}
