using System.Collections.Concurrent;

namespace Slipway.Edge;

/// <summary>Request counts per status class and a latency histogram, per app, service and route, kept in
/// memory with lock-free counters. The monitoring side reads snapshots and computes percentiles from the
/// buckets, as Prometheus does from a histogram.</summary>
internal sealed class AccessMetrics
{
    /// <summary>Upper bounds of the latency buckets, in milliseconds; the last bucket is everything slower.</summary>
    public static readonly double[] BucketBoundsMs =
        [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

    private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();

    public void Record(string app, string service, string route, int status, TimeSpan elapsed)
    {
        var key = new SeriesKey(app, service, route);
        if (!_series.TryGetValue(key, out var series))
        {
            series = _series.GetOrAdd(key, _ => new Series());
        }
        series.Record(status, elapsed.TotalMilliseconds);
    }

    public IReadOnlyList<SeriesSnapshot> Snapshot(string? app = null) =>
        _series.Where(kv => app is null || kv.Key.App == app)
            .Select(kv => kv.Value.Snapshot(kv.Key))
            .OrderBy(s => s.App, StringComparer.Ordinal).ThenBy(s => s.Service, StringComparer.Ordinal).ThenBy(s => s.Route, StringComparer.Ordinal)
            .ToList();

    /// <summary>Forgets an app's series (it was destroyed).</summary>
    public void Remove(string app)
    {
        foreach (var key in _series.Keys.Where(k => k.App == app))
        {
            _series.TryRemove(key, out _);
        }
    }

    private readonly record struct SeriesKey(string App, string Service, string Route);

    private sealed class Series
    {
        private readonly long[] _statusClasses = new long[6];
        private readonly long[] _buckets = new long[BucketBoundsMs.Length + 1];
        private long _totalMicros;

        public void Record(int status, double ms)
        {
            Interlocked.Increment(ref _statusClasses[Math.Clamp(status / 100, 0, 5)]);
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
