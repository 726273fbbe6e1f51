using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Edge;
using Microsoft.Extensions.Logging;
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
internal sealed partial class MetricsHistory
{
    public static readonly TimeSpan Kept = TimeSpan.FromDays(30);
    public const long DefaultMaxBytes = 200L << 20;

    private readonly SqliteConnectionFactory _db;
    private readonly AccessMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly long _maxBytes;
    private readonly Lock _gate = new();
    private Dictionary<(string App, string Service, string Route), (SeriesSnapshot Series, long Generation)> _previous = [];

    /// <summary>Series without a request for this long are forgotten by the edge after their last minute is stored.</summary>
    public static readonly TimeSpan IdleSeries = TimeSpan.FromHours(1);

    public MetricsHistory(string path, AccessMetrics metrics, TimeProvider clock, long maxBytes = DefaultMaxBytes, ILogger<MetricsHistory>? logger = null)
    {
        _metrics = metrics;
        _clock = clock;
        _maxBytes = maxBytes;
        _db = SideDatabase.Open(path, Create, clock.GetUtcNow(), (file, aside, e) =>
        {
            if (logger is not null)
            {
                LogDamaged(logger, file, aside, e);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics history {Path} could not be opened; moved to {Aside}, starting a new one")]
    private static partial void LogDamaged(ILogger logger, string path, string aside, Exception exception);

    private static SqliteConnectionFactory Create(string path)
    {
        var db = new SqliteConnectionFactory(path);
        using var c = db.Open();
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
        c.ExecuteScalar<long>("select count(*) from request_minutes where minute < 0");
        return db;
    }

    /// <summary>Stores what the edge counted since the last call under the minute that just ended (or, with
    /// <paramref name="current"/>, the minute now running: the platform is stopping), forgets series idle for an
    /// hour, and prunes what is past 30 days or the size cap. Runs once a minute (<see cref="MetricsRollup"/>).</summary>
    public int RollUp(bool current = false)
    {
        lock (_gate)
        {
            var minute = _clock.GetUtcNow().ToUnixTimeSeconds() / 60 - (current ? 0 : 1);
            var now = _metrics.SnapshotAll();
            var rows = now.Select(s => Since(minute, s.App, s.Series, s.Generation)).OfType<MinuteRow>().ToList();
            using var c = _db.Open();
            using (var tx = c.BeginTransaction())
            {
                foreach (var row in rows)
                {
                    // A second roll-up of one minute (the one at a stop, then the first after the start) adds to its row,
                    // the buckets one by one, so the row's buckets always add up to its requests.
                    var stored = c.QuerySingleOrDefault<MinuteRow>("""
                        select minute, service, route, requests, s1xx, s2xx, s3xx, s4xx, s5xx, total_ms as TotalMs, buckets
                        from request_minutes where app = @App and env = @Env and minute = @Minute and service = @Service and route = @Route
                        """, row, tx);
                    c.Execute("""
                        insert or replace into request_minutes (minute, app, env, service, route, requests, s1xx, s2xx, s3xx, s4xx, s5xx, total_ms, buckets)
                        values (@Minute, @App, @Env, @Service, @Route, @Requests, @S1xx, @S2xx, @S3xx, @S4xx, @S5xx, @TotalMs, @Buckets)
                        """, stored is null ? row : row.Plus(stored), tx);
                }
                c.Execute("delete from request_minutes where minute < @oldest", new { oldest = minute - (long)Kept.TotalMinutes }, tx);
                tx.Commit();
            }
            // Only now: when the write fails, the next roll-up stores this minute's counts with its own.
            _previous = now.ToDictionary(s => (s.Series.App, s.Series.Service, s.Series.Route), s => (s.Series, s.Generation));
            _metrics.EvictIdle(IdleSeries);
            Shrink(c);
            return rows.Count;
        }
    }

    /// <summary>What <paramref name="series"/> counted since the last roll-up, as the row of <paramref name="minute"/>; null
    /// when it counted nothing. Call under the gate.</summary>
    private MinuteRow? Since(long minute, AppRef app, SeriesSnapshot series, long generation)
    {
        // A series the edge forgot and saw again (or an app destroyed and made anew) counts from zero.
        var before = _previous.TryGetValue((series.App, series.Service, series.Route), out var seen) && seen.Generation == generation
            ? seen.Series : null;
        var requests = series.Requests - (before?.Requests ?? 0);
        if (requests <= 0)
        {
            return null;
        }
        long Delta(string statusClass) => series.Statuses[statusClass] - (before?.Statuses[statusClass] ?? 0);
        return new MinuteRow(minute, series.Service, series.Route, requests, Delta("1xx"), Delta("2xx"), Delta("3xx"), Delta("4xx"),
            Delta("5xx"), series.MeanMs * series.Requests - (before is null ? 0 : before.MeanMs * before.Requests),
            string.Join(',', series.Buckets.Select((count, i) => count - (before?.Buckets[i] ?? 0))))
        {
            App = app.App,
            Env = app.Env,
        };
    }

    /// <summary>An app environment's minutes from <paramref name="from"/> on, per service and route, oldest first, and
    /// last the minute now running: what the edge counted since the last roll-up, not stored yet. So a chart or a
    /// sparkline shows requests seconds after they were answered, not a minute later (the dashboard's charts,
    /// <see cref="MetricsCharts"/>).</summary>
    public IReadOnlyList<MetricsMinute> Minutes(AppRef app, DateTimeOffset from)
    {
        var first = from.ToUnixTimeSeconds() / 60;
        // Both under the gate: a roll-up between the read and the running minute's counts would leave its minute out of both.
        lock (_gate)
        {
            using var c = _db.Open();
            var minutes = c.Query<MinuteRow>("""
                select minute, service, route, requests, s1xx, s2xx, s3xx, s4xx, s5xx, total_ms as TotalMs, buckets
                from request_minutes where app = @App and env = @Env and minute >= @first order by minute
                """, new { app.App, app.Env, first }).Select(Minute).ToList();
            var running = _clock.GetUtcNow().ToUnixTimeSeconds() / 60;
            minutes.AddRange(_metrics.SnapshotOf(app).Select(s => Since(running, s.App, s.Series, s.Generation)).OfType<MinuteRow>()
                .Select(Minute));
            return minutes;
        }
    }

    private static MetricsMinute Minute(MinuteRow row)
    {
        var buckets = new long[AccessMetrics.BucketBoundsMs.Length + 1];
        AddBuckets(buckets, row.Buckets);
        return new MetricsMinute(row.Minute, row.Service, row.Route, row.Requests, [row.S1xx, row.S2xx, row.S3xx, row.S4xx, row.S5xx], row.TotalMs, buckets);
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
                AddBuckets(buckets, row.Buckets);
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

    /// <summary>Every series' requests in the complete minutes from <paramref name="from"/> up to (not including)
    /// the minute of <paramref name="to"/>, merged per app environment, service and route: request and 5xx counts and
    /// the histogram's buckets added up (percentiles of the window come from them). For alerts, which look at the
    /// last few minutes of every app at once: one range read of the minute index.</summary>
    public IReadOnlyList<MetricsWindowRow> Window(DateTimeOffset from, DateTimeOffset to)
    {
        var (first, end) = (from.ToUnixTimeSeconds() / 60, to.ToUnixTimeSeconds() / 60);
        using var c = _db.Open();
        var rows = c.Query<WindowMinute>("""
            select app, env, service, route, requests, s5xx, buckets from request_minutes where minute >= @first and minute < @end
            """, new { first, end });
        var merged = new Dictionary<(string App, string Env, string Service, string Route), MetricsWindowRow>();
        foreach (var row in rows)
        {
            var key = (row.App, row.Env, row.Service, row.Route);
            if (!merged.TryGetValue(key, out var into))
            {
                merged[key] = into = new MetricsWindowRow(row.App, row.Env, row.Service, row.Route, new long[AccessMetrics.BucketBoundsMs.Length + 1]);
            }
            into.Requests += row.Requests;
            into.Errors += row.S5xx;
            AddBuckets(into.Buckets, row.Buckets);
        }
        return merged.Values.ToList();
    }

    private static void AddBuckets(long[] into, string stored)
    {
        var parts = stored.Split(',');
        for (var i = 0; i < parts.Length && i < into.Length; i++)
        {
            into[i] += long.Parse(parts[i], CultureInfo.InvariantCulture);
        }
    }

    private sealed record WindowMinute(string App, string Env, string Service, string Route, long Requests, long S5xx, string Buckets);

    private sealed record MinuteRow(long Minute, string Service, string Route, long Requests, long S1xx, long S2xx, long S3xx, long S4xx,
        long S5xx, double TotalMs, string Buckets)
    {
        public string App { get; init; } = "";
        public string Env { get; init; } = "";

        public MinuteRow Plus(MinuteRow other) => this with
        {
            Requests = Requests + other.Requests, S1xx = S1xx + other.S1xx, S2xx = S2xx + other.S2xx, S3xx = S3xx + other.S3xx,
            S4xx = S4xx + other.S4xx, S5xx = S5xx + other.S5xx, TotalMs = TotalMs + other.TotalMs,
            Buckets = string.Join(',', Buckets.Split(',').Zip(other.Buckets.Split(','),
                (a, b) => long.Parse(a, CultureInfo.InvariantCulture) + long.Parse(b, CultureInfo.InvariantCulture))),
        };
    }
}

/// <summary>One series' requests over a window (<see cref="MetricsHistory.Window"/>): 5xx answers and the latency
/// histogram's buckets (<see cref="AccessMetrics.BucketBoundsMs"/>) added up over its minutes.</summary>
internal sealed class MetricsWindowRow(string app, string env, string service, string route, long[] buckets)
{
    public string App { get; } = app;
    public string Env { get; } = env;
    public string Service { get; } = service;
    public string Route { get; } = route;
    public long Requests { get; set; }
    public long Errors { get; set; }
    public long[] Buckets { get; } = buckets;
}

/// <summary>One minute of one series (<see cref="MetricsHistory.Minutes"/>): requests, answers by status class (1xx to
/// 5xx, in that order), their summed time and the latency histogram's buckets (<see cref="AccessMetrics.BucketBoundsMs"/>).</summary>
internal sealed record MetricsMinute(long Minute, string Service, string Route, long Requests, long[] Statuses, double TotalMs, long[] Buckets);

/// <summary>What `slipway metrics --since` shows: per service and route over the window, with per-step counts.</summary>
internal sealed record MetricsHistoryView(DateTimeOffset From, DateTimeOffset To, TimeSpan Step, IReadOnlyList<MetricsHistorySeries> Series);

/// <summary>One service and route over a window: totals, percentiles from the merged buckets (milliseconds), and
/// requests and 5xx answers per step (oldest first).</summary>
internal sealed record MetricsHistorySeries(string Service, string Route, long Requests, IReadOnlyDictionary<string, long> Statuses,
    double MeanMs, double P50Ms, double P95Ms, double P99Ms, long[] RequestsPerStep, long[] ErrorsPerStep);
