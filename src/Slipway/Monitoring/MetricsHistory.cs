using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Edge;
using Slipway.State;

namespace Slipway.Monitoring;

/// <summary>Per-minute history of every request series (app, env, service, route), so `slipway metrics --since 24h`
/// and the dashboard show trends without a Prometheus server. Each minute the edge's cumulative counts
/// (<see cref="AccessMetrics"/>) are compared with the previous minute's and the difference is stored: requests by
/// status class, total time, and the latency histogram's buckets, so percentiles over any window are computed from
/// merged buckets, never averaged. A minute without requests stores nothing.
///
/// It lives in its own SQLite file, DATA/metrics.db, not the platform's state: it is large, rebuildable and not worth
/// backing up with the state, and its once-a-minute writes never wait on the state's lock. Kept 30 days and at most
/// 200 MB: past either, the oldest minutes go.</summary>
internal sealed class MetricsHistory
{
    public static readonly TimeSpan Kept = TimeSpan.FromDays(30);
    public const long DefaultMaxBytes = 200L << 20;

    private readonly SqliteConnectionFactory _db;
    private readonly AccessMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly long _maxBytes;
    private readonly Lock _gate = new();
    private Dictionary<(string App, string Service, string Route), SeriesSnapshot> _previous = [];

    public MetricsHistory(string path, AccessMetrics metrics, TimeProvider clock, long maxBytes = DefaultMaxBytes)
    {
        _db = new SqliteConnectionFactory(path);
        _metrics = metrics;
        _clock = clock;
        _maxBytes = maxBytes;
        using var c = _db.Open();
        c.Execute("""
            pragma auto_vacuum = incremental;
            create table if not exists request_minutes (
                minute integer not null,
                app text not null,
                env text not null,
                service text not null,
                route text not null,
                requests integer not null,
                s1xx integer not null, s2xx integer not null, s3xx integer not null, s4xx integer not null, s5xx integer not null,
                total_ms real not null,
                buckets text not null,
                primary key (app, env, minute, service, route)
            ) without rowid;
            create index if not exists request_minutes_minute on request_minutes(minute);
            """);
    }

    /// <summary>Stores what the edge counted since the last call, under the minute that just ended; prunes what is
    /// past 30 days or the size cap. Runs once a minute (<see cref="MetricsRollup"/>).</summary>
    public int RollUp()
    {
        lock (_gate)
        {
            var minute = _clock.GetUtcNow().ToUnixTimeSeconds() / 60 - 1;
            var now = _metrics.SnapshotAll();
            var rows = new List<object>();
            foreach (var (app, series) in now)
            {
                _previous.TryGetValue((series.App, series.Service, series.Route), out var before);
                var requests = series.Requests - (before?.Requests ?? 0);
                if (requests <= 0)
                {
                    continue;
                }
                long Delta(string statusClass) => series.Statuses[statusClass] - (before?.Statuses[statusClass] ?? 0);
                var buckets = series.Buckets.Select((count, i) => count - (before?.Buckets[i] ?? 0));
                rows.Add(new
                {
                    minute, app = app.App, env = app.Env, service = series.Service, route = series.Route, requests,
                    s1xx = Delta("1xx"), s2xx = Delta("2xx"), s3xx = Delta("3xx"), s4xx = Delta("4xx"), s5xx = Delta("5xx"),
                    total_ms = series.MeanMs * series.Requests - (before is null ? 0 : before.MeanMs * before.Requests),
                    buckets = string.Join(',', buckets),
                });
            }
            using var c = _db.Open();
            using (var tx = c.BeginTransaction())
            {
                // A second roll-up in one minute (a restart) adds to the minute's row.
                c.Execute("""
                    insert into request_minutes (minute, app, env, service, route, requests, s1xx, s2xx, s3xx, s4xx, s5xx, total_ms, buckets)
                    values (@minute, @app, @env, @service, @route, @requests, @s1xx, @s2xx, @s3xx, @s4xx, @s5xx, @total_ms, @buckets)
                    on conflict (app, env, minute, service, route) do update set requests = requests + excluded.requests,
                        s1xx = s1xx + excluded.s1xx, s2xx = s2xx + excluded.s2xx, s3xx = s3xx + excluded.s3xx,
                        s4xx = s4xx + excluded.s4xx, s5xx = s5xx + excluded.s5xx, total_ms = total_ms + excluded.total_ms,
                        buckets = excluded.buckets
                    """, rows, tx);
                c.Execute("delete from request_minutes where minute < @oldest", new { oldest = minute - (long)Kept.TotalMinutes }, tx);
                tx.Commit();
            }
            // Only now: when the write fails, the next roll-up stores this minute's counts with its own.
            _previous = now.ToDictionary(s => (s.Series.App, s.Series.Service, s.Series.Route), s => s.Series);
            Shrink(c);
            return rows.Count;
        }
    }

    /// <summary>Past the size cap, deletes the oldest tenth of what is stored until under it, and gives the pages back.</summary>
    private void Shrink(SqliteConnection c)
    {
        for (var round = 0; round < 10 && Bytes(c) > _maxBytes; round++)
        {
            var (first, last) = c.QuerySingle<(long?, long?)>("select min(minute), max(minute) from request_minutes");
            if (first is null)
            {
                break;
            }
            var cut = first.Value + Math.Max(1, (last!.Value - first.Value) / 10);
            c.Execute("delete from request_minutes where minute < @cut", new { cut });
            c.Execute("pragma incremental_vacuum");
        }
    }

    private static long Bytes(SqliteConnection c) =>
        c.ExecuteScalar<long>("select page_count * page_size from pragma_page_count(), pragma_page_size()")
        - c.ExecuteScalar<long>("select freelist_count * page_size from pragma_freelist_count(), pragma_page_size()");

    /// <summary>An app environment's requests from <paramref name="from"/> to now, per service and route, with
    /// <paramref name="points"/> equal steps of request and 5xx counts for a sparkline.</summary>
    public MetricsHistoryView Query(AppRef app, DateTimeOffset from, int points = 48)
    {
        var to = _clock.GetUtcNow();
        var first = from.ToUnixTimeSeconds() / 60;
        var last = to.ToUnixTimeSeconds() / 60;
        var step = Math.Max(1, (last - first + points - 1) / points);
        var count = (int)Math.Max(1, (last - first + step) / step);
        using var c = _db.Open();
        var rows = c.Query<MinuteRow>("""
            select minute, service, route, requests, s1xx, s2xx, s3xx, s4xx, s5xx, total_ms as TotalMs, buckets
            from request_minutes where app = @App and env = @Env and minute >= @first order by minute
            """, new { app.App, app.Env, first }).ToList();
        var series = rows.GroupBy(r => (r.Service, r.Route)).Select(g =>
        {
            var buckets = new long[AccessMetrics.BucketBoundsMs.Length + 1];
            var requests = new long[count];
            var errors = new long[count];
            foreach (var row in g)
            {
                var parts = row.Buckets.Split(',');
                for (var i = 0; i < parts.Length && i < buckets.Length; i++)
                {
                    buckets[i] += long.Parse(parts[i], CultureInfo.InvariantCulture);
                }
                var at = (int)Math.Clamp((row.Minute - first) / step, 0, count - 1);
                requests[at] += row.Requests;
                errors[at] += row.S5xx;
            }
            var total = g.Sum(r => r.Requests);
            return new MetricsHistorySeries(g.Key.Service, g.Key.Route, total,
                new Dictionary<string, long>
                {
                    ["1xx"] = g.Sum(r => r.S1xx), ["2xx"] = g.Sum(r => r.S2xx), ["3xx"] = g.Sum(r => r.S3xx),
                    ["4xx"] = g.Sum(r => r.S4xx), ["5xx"] = g.Sum(r => r.S5xx),
                },
                total == 0 ? 0 : g.Sum(r => r.TotalMs) / total,
                AccessMetrics.Percentile(buckets, total, 0.50), AccessMetrics.Percentile(buckets, total, 0.95), AccessMetrics.Percentile(buckets, total, 0.99),
                requests, errors);
        }).OrderBy(s => s.Service, StringComparer.Ordinal).ThenBy(s => s.Route, StringComparer.Ordinal).ToList();
        return new MetricsHistoryView(DateTimeOffset.FromUnixTimeSeconds(first * 60), to, TimeSpan.FromMinutes(step), series);
    }

    private sealed record MinuteRow(long Minute, string Service, string Route, long Requests, long S1xx, long S2xx, long S3xx, long S4xx,
        long S5xx, double TotalMs, string Buckets);
}

/// <summary>What `slipway metrics --since` shows: per service and route over the window, with per-step counts.</summary>
internal sealed record MetricsHistoryView(DateTimeOffset From, DateTimeOffset To, TimeSpan Step, IReadOnlyList<MetricsHistorySeries> Series);

/// <summary>One service and route over a window: totals, percentiles from the merged buckets (milliseconds), and
/// requests and 5xx answers per step (oldest first).</summary>
internal sealed record MetricsHistorySeries(string Service, string Route, long Requests, IReadOnlyDictionary<string, long> Statuses,
    double MeanMs, double P50Ms, double P95Ms, double P99Ms, long[] RequestsPerStep, long[] ErrorsPerStep);
