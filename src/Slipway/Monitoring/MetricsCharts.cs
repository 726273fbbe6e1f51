using Slipway.Edge;

namespace Slipway.Monitoring;

/// <summary>Turns an app environment's minutes (<see cref="MetricsHistory.Minutes"/>) into what a chart draws: equal
/// steps over the window, each with its requests, its answers by status class and its p50/p95/p99 latency from the
/// step's merged histogram buckets (never an average of percentiles), for all series or one service or one route;
/// plus the window's totals and every series seen in it (for a picker). Pure: the chart endpoint and the dashboard's
/// summary both call it on the same minutes, so a chart and its text alternative never disagree.</summary>
internal static class MetricsCharts
{
    /// <summary>The most steps a chart asks for (7 days in hours is 168).</summary>
    public const int MaxPoints = 500;

    /// <summary>The status classes in the order <see cref="MetricsMinute.Statuses"/> holds them.</summary>
    public static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"];

    /// <param name="service">Only this service (null: all).</param>
    /// <param name="route">Only this route of the service (null: all).</param>
    public static MetricsChartView Build(IReadOnlyList<MetricsMinute> minutes, DateTimeOffset from, DateTimeOffset to, int points, string? service, string? route)
    {
        var first = from.ToUnixTimeSeconds() / 60;
        var last = to.ToUnixTimeSeconds() / 60;
        points = Math.Clamp(points, 1, MaxPoints);
        // As MetricsHistory.Query steps: whole minutes, the last step holding the minute now running.
        var step = Math.Max(1, (last - first + points - 1) / points);
        var count = (int)Math.Max(1, (last - first + step) / step);
        var requests = new long[count];
        var statuses = StatusClasses.Select(_ => new long[count]).ToArray();
        var buckets = new long[]?[count];
        var total = new Totals();
        var series = new Dictionary<(string Service, string Route), Totals>();
        foreach (var minute in minutes.Where(m => m.Minute >= first && m.Minute <= last))
        {
            if (!series.TryGetValue((minute.Service, minute.Route), out var own))
            {
                series[(minute.Service, minute.Route)] = own = new Totals();
            }
            own.Add(minute);
            if ((service is not null && minute.Service != service) || (route is not null && minute.Route != route))
            {
                continue;
            }
            total.Add(minute);
            var at = (int)Math.Min((minute.Minute - first) / step, count - 1);
            requests[at] += minute.Requests;
            for (var i = 0; i < StatusClasses.Length; i++)
            {
                statuses[i][at] += minute.Statuses[i];
            }
            Add(buckets[at] ??= new long[AccessMetrics.BucketBoundsMs.Length + 1], minute.Buckets);
        }
        double? Percentile(int at, double q) => requests[at] == 0 ? null : Round(AccessMetrics.Percentile(buckets[at]!, requests[at], q));
        return new MetricsChartView(DateTimeOffset.FromUnixTimeSeconds(first * 60), to, (int)step * 60, service, route,
            new MetricsChartTotals(total.Requests, StatusClasses.Select((c, i) => (c, total.Statuses[i])).ToDictionary(p => p.c, p => p.Item2),
                total.Requests == 0 ? 0 : Round(total.TotalMs / total.Requests), total.Percentile(0.50), total.Percentile(0.95), total.Percentile(0.99)),
            series.OrderBy(s => s.Key.Service, StringComparer.Ordinal).ThenBy(s => s.Key.Route, StringComparer.Ordinal)
                .Select(s => new MetricsSeriesTotals(s.Key.Service, s.Key.Route, s.Value.Requests, s.Value.Statuses[4],
                    s.Value.Percentile(0.50), s.Value.Percentile(0.95), s.Value.Percentile(0.99)))
                .ToList(),
            [.. Enumerable.Range(0, count).Select(i => (first + i * step) * 60)],
            requests,
            StatusClasses.Select((c, i) => (c, statuses[i])).ToDictionary(p => p.c, p => p.Item2),
            [.. Enumerable.Range(0, count).Select(i => Percentile(i, 0.50))],
            [.. Enumerable.Range(0, count).Select(i => Percentile(i, 0.95))],
            [.. Enumerable.Range(0, count).Select(i => Percentile(i, 0.99))]);
    }

    private static void Add(long[] into, long[] buckets)
    {
        for (var i = 0; i < into.Length && i < buckets.Length; i++)
        {
            into[i] += buckets[i];
        }
    }

    private static double Round(double ms) => Math.Round(ms, 2);

    private sealed class Totals
    {
        public long Requests;
        public readonly long[] Statuses = new long[StatusClasses.Length];
        public double TotalMs;
        private readonly long[] _buckets = new long[AccessMetrics.BucketBoundsMs.Length + 1];

        public void Add(MetricsMinute minute)
        {
            Requests += minute.Requests;
            TotalMs += minute.TotalMs;
            for (var i = 0; i < Statuses.Length; i++)
            {
                Statuses[i] += minute.Statuses[i];
            }
            MetricsCharts.Add(_buckets, minute.Buckets);
        }

        public double Percentile(double q) => Round(AccessMetrics.Percentile(_buckets, Requests, q));
    }
}

/// <summary>An app environment's requests over a window in <see cref="StepSeconds"/> steps (the arrays, oldest first,
/// each step starting at its <see cref="Times"/> entry, Unix seconds), for all series or the one service or route
/// asked for: requests, answers by status class ("1xx" to "5xx"), and p50/p95/p99 in milliseconds (null in a step
/// without requests). <see cref="Totals"/> is the whole window of that selection; <see cref="Series"/> lists every
/// service and route with requests in the window, whatever was selected.</summary>
internal sealed record MetricsChartView(DateTimeOffset From, DateTimeOffset To, int StepSeconds, string? Service, string? Route, MetricsChartTotals Totals,
    IReadOnlyList<MetricsSeriesTotals> Series, long[] Times, long[] Requests, IReadOnlyDictionary<string, long[]> Statuses, double?[] P50Ms,
    double?[] P95Ms, double?[] P99Ms);

/// <summary>A selection's whole window: requests, answers by status class, mean and percentiles in milliseconds.</summary>
internal sealed record MetricsChartTotals(long Requests, IReadOnlyDictionary<string, long> Statuses, double MeanMs, double P50Ms, double P95Ms, double P99Ms);

/// <summary>One service and route over the window: requests, 5xx answers, percentiles in milliseconds.</summary>
internal sealed record MetricsSeriesTotals(string Service, string Route, long Requests, long Errors, double P50Ms, double P95Ms, double P99Ms);
