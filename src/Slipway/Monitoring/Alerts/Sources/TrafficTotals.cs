using Slipway.Edge;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>Requests of some series over a window, added up: the count, 5xx answers and the merged latency
/// histogram, from which the error rate and percentiles of the window come (never an average of averages).</summary>
internal sealed class TrafficTotals
{
    private readonly long[] _buckets = new long[AccessMetrics.BucketBoundsMs.Length + 1];

    public long Requests { get; private set; }
    public long Errors { get; private set; }

    public static TrafficTotals Of(IEnumerable<MetricsWindowRow> rows)
    {
        var totals = new TrafficTotals();
        foreach (var row in rows)
        {
            totals.Requests += row.Requests;
            totals.Errors += row.Errors;
            for (var i = 0; i < totals._buckets.Length && i < row.Buckets.Length; i++)
            {
                totals._buckets[i] += row.Buckets[i];
            }
        }
        return totals;
    }

    /// <summary>5xx answers in percent of all requests (0 without requests).</summary>
    public double ErrorPercent => Requests == 0 ? 0 : Errors * 100.0 / Requests;

    /// <summary>The <paramref name="q"/> quantile of latency in seconds, estimated from the merged buckets.</summary>
    public double Seconds(double q) => AccessMetrics.Percentile(_buckets, Requests, q) / 1000;
}
