using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Slipway.Edge;

/// <summary>Request counts per status class and a latency histogram, per app environment, service and route, kept
/// in memory with lock-free counters: the API (`slipway metrics`), the per-minute history and the alerts read
/// snapshots and compute percentiles from the buckets, as Prometheus does from a histogram. The same requests are
/// counted into two OpenTelemetry instruments for /metrics (slipway_http_server_requests_total by status class,
/// slipway_http_server_request_duration_seconds), with each series' label set built once, when the series is
/// first seen: a request costs two dictionary lookups and no allocation, and nothing when no exporter listens.
///
/// Labels stay bounded: routes are the patterns of the app's routes or a service's path prefix, never raw paths;
/// a series without a request for an hour is forgotten at the next roll-up (<see cref="EvictIdle"/>: a redeploy
/// that renamed a route leaves no series behind for good); and past <see cref="MaxSeries"/> series a new one is not
/// recorded but counted in slipway_metrics_series_dropped_total.</summary>
internal sealed class AccessMetrics
{
    /// <summary>Upper bounds of the latency buckets, in milliseconds; the last bucket is everything slower.</summary>
    public static readonly double[] BucketBoundsMs =
        [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

    private static readonly string[] StatusClasses = ["1xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

    private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();
    private int _count;
    private long _generations;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private long _dropped;

    public AccessMetrics(IMeterFactory? meters = null, int maxSeries = DefaultMaxSeries)
    {
        MaxSeries = maxSeries;
        #pragma warning disable CA2000 // the host\'s meter factory owns its meters and disposes them when the host stops
        var meter = PlatformMeter.Create(meters);
        #pragma warning restore CA2000
        _requests = meter.CreateCounter<long>("slipway.http.server.requests", "{request}",
            "Requests the edge answered, by app, environment, service, route and status class");
        _duration = meter.CreateHistogram("slipway.http.server.request.duration", "s",
            "Time from the request's arrival at the edge to the end of its response",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [.. BucketBoundsMs.Select(ms => ms / 1000)] });
        meter.CreateObservableCounter("slipway.metrics.series_dropped", () => Interlocked.Read(ref _dropped), "{series}",
            "Request series (app, environment, service, route) not recorded because the edge already keeps the most it keeps");
    }

    public const int DefaultMaxSeries = 1000;

    /// <summary>The most series kept; a request of a new series past it is counted as dropped.</summary>
    public int MaxSeries { get; }

    public long DroppedSeries => Interlocked.Read(ref _dropped);

    /// <summary>Counts a request of <paramref name="app"/> (null: no app matched its host).</summary>
    public void Record(AppRoute? app, string service, string route, int status, TimeSpan elapsed)
    {
        var key = new SeriesKey(app?.App ?? "-", service, route);
        if (!_series.TryGetValue(key, out var series))
        {
            series = Add(key, app);
            if (series is null)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }
        }
        var ms = elapsed.TotalMilliseconds;
        var statusClass = Math.Clamp(status / 100, 0, 5);
        series.Record(statusClass, ms);
        if (_requests.Enabled)
        {
            _requests.Add(1, series.CounterTags[statusClass]);
        }
        if (_duration.Enabled)
        {
            _duration.Record(ms / 1000, series.Tags);
        }
    }

    /// <summary>A new series, unless <see cref="MaxSeries"/> are kept (counted without a lock: a dictionary's Count
    /// takes every one of its locks, which the edge must not do per request once the cap is reached).</summary>
    private Series? Add(SeriesKey key, AppRoute? app)
    {
        if (Interlocked.Increment(ref _count) > MaxSeries)
        {
            Interlocked.Decrement(ref _count);
            return null;
        }
        var made = new Series(LabelsOf(app), key, Interlocked.Increment(ref _generations));
        var series = _series.GetOrAdd(key, made);
        if (!ReferenceEquals(series, made))
        {
            Interlocked.Decrement(ref _count); // another request added it first
        }
        return series;
    }

    /// <summary>Forgets series without a request for <paramref name="idle"/> (the roll-up calls it each minute,
    /// after it stored their last counts).</summary>
    public int EvictIdle(TimeSpan idle)
    {
        var before = Environment.TickCount64 - (long)idle.TotalMilliseconds;
        var evicted = 0;
        foreach (var (key, series) in _series)
        {
            if (Volatile.Read(ref series.LastRecorded) < before && _series.TryRemove(new KeyValuePair<SeriesKey, Series>(key, series)))
            {
                Interlocked.Decrement(ref _count);
                evicted++;
            }
        }
        return evicted;
    }

    /// <summary>The app and environment labels of a route: the names users give (shop, staging), not the store key.</summary>
    private static AppRef LabelsOf(AppRoute? route) => route switch
    {
        null => new AppRef("-", "-"),
        { App: Routes.PlatformRoute or Routes.PlatformServedRoute } => new AppRef(route.App, "-"),
        { Ref.App: { } } => route.Ref,
        _ => AppRef.Of(route.App),
    };

    public IReadOnlyList<SeriesSnapshot> Snapshot(string? app = null) =>
        _series.Where(kv => app is null || kv.Key.App == app)
            .Select(kv => kv.Value.Snapshot(kv.Key))
            .OrderBy(s => s.App, StringComparer.Ordinal).ThenBy(s => s.Service, StringComparer.Ordinal).ThenBy(s => s.Route, StringComparer.Ordinal)
            .ToList();

    /// <summary>Every series with its app environment and generation (a series forgotten and seen again is a new
    /// generation, counting from zero), for the per-minute history.</summary>
    public IReadOnlyList<(AppRef App, SeriesSnapshot Series, long Generation)> SnapshotAll() =>
        _series.Select(kv => (kv.Value.Labels, kv.Value.Snapshot(kv.Key), kv.Value.Generation)).ToList();

    /// <summary>The series of one app environment, as <see cref="SnapshotAll"/> gives them (a page's chart or sparkline
    /// copies only its own).</summary>
    public IReadOnlyList<(AppRef App, SeriesSnapshot Series, long Generation)> SnapshotOf(AppRef app) =>
        _series.Where(kv => kv.Value.Labels == app).Select(kv => (kv.Value.Labels, kv.Value.Snapshot(kv.Key), kv.Value.Generation)).ToList();

    /// <summary>Forgets an app's series (it was destroyed).</summary>
    public void Remove(string app)
    {
        foreach (var key in _series.Keys.Where(k => k.App == app))
        {
            if (_series.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    private readonly record struct SeriesKey(string App, string Service, string Route);

    private sealed class Series(AppRef labels, SeriesKey key, long generation)
    {
        /// <summary>Environment.TickCount64 of the last request (<see cref="EvictIdle"/>).</summary>
        public long LastRecorded = Environment.TickCount64;

        public long Generation { get; } = generation;

        private readonly long[] _statusClasses = new long[6];
        private readonly long[] _buckets = new long[BucketBoundsMs.Length + 1];
        private long _totalMicros;

        public AppRef Labels { get; } = labels;

        /// <summary>The histogram's labels, in one order every time (the SDK finds the series without sorting).</summary>
        public KeyValuePair<string, object?>[] Tags { get; } =
        [
            PlatformMeter.Tag("app", labels.App), PlatformMeter.Tag("env", labels.Env),
            PlatformMeter.Tag("service", key.Service), PlatformMeter.Tag("route", key.Route),
        ];

        /// <summary>The counter's labels per status class (index: status / 100).</summary>
        public KeyValuePair<string, object?>[][] CounterTags { get; } = [.. StatusClasses.Select(c => new[]
        {
            PlatformMeter.Tag("app", labels.App), PlatformMeter.Tag("env", labels.Env),
            PlatformMeter.Tag("service", key.Service), PlatformMeter.Tag("route", key.Route), PlatformMeter.Tag("status_class", c),
        })];

        public void Record(int statusClass, double ms)
        {
            Volatile.Write(ref LastRecorded, Environment.TickCount64);
            Interlocked.Increment(ref _statusClasses[statusClass]);
            var bucket = 0;
            while (bucket < BucketBoundsMs.Length && ms > BucketBoundsMs[bucket])
            {
                bucket++;
            }
            Interlocked.Increment(ref _buckets[bucket]);
            Interlocked.Add(ref _totalMicros, (long)(ms * 1000));
        }

        public SeriesSnapshot Snapshot(SeriesKey key)
        {
            var buckets = _buckets.Select(b => Interlocked.Read(ref b)).ToArray();
            var classes = _statusClasses.Select(c => Interlocked.Read(ref c)).ToArray();
            var count = buckets.Sum();
            return new SeriesSnapshot(key.App, key.Service, key.Route, count,
                new Dictionary<string, long>
                {
                    ["1xx"] = classes[1], ["2xx"] = classes[2], ["3xx"] = classes[3], ["4xx"] = classes[4], ["5xx"] = classes[5],
                },
                buckets, count == 0 ? 0 : Interlocked.Read(ref _totalMicros) / 1000.0 / count,
                Percentile(buckets, count, 0.50), Percentile(buckets, count, 0.95), Percentile(buckets, count, 0.99));
        }
    }

    /// <summary>The q-quantile estimated from bucket counts, interpolating linearly inside the bucket it falls in.</summary>
    public static double Percentile(long[] buckets, long count, double q)
    {
        if (count == 0)
        {
            return 0;
        }
        var rank = q * count;
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i] > 0 && seen + buckets[i] >= rank)
            {
                var lower = i == 0 ? 0 : BucketBoundsMs[i - 1];
                var upper = i < BucketBoundsMs.Length ? BucketBoundsMs[i] : BucketBoundsMs[^1] * 2;
                return lower + (upper - lower) * ((rank - seen) / buckets[i]);
            }
            seen += buckets[i];
        }
        return BucketBoundsMs[^1];
    }
}

/// <summary>One series at one moment: counts by status class, the histogram (see
/// <see cref="AccessMetrics.BucketBoundsMs"/>) and the percentiles estimated from it, in milliseconds.</summary>
internal sealed record SeriesSnapshot(string App, string Service, string Route, long Requests, IReadOnlyDictionary<string, long> Statuses,
    long[] Buckets, double MeanMs, double P50Ms, double P95Ms, double P99Ms);
