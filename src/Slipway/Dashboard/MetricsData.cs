using System.Globalization;
using Slipway.Access;
using Slipway.Api;
using Slipway.Monitoring;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds the metrics pages' views from the request history (<see cref="MetricsHistory.Minutes"/>, the minute
/// now running included) through <see cref="MetricsCharts"/>, as the JSON API's chart endpoint does: the Metrics tab's
/// pickers and the text alternative of its charts (the charts themselves fetch the endpoint's JSON), the platform's
/// Metrics page, and the overview cards' sparklines.</summary>
internal sealed class MetricsData(Store store, MetricsHistory history, DashboardData dashboard, TimeProvider clock)
{
    /// <summary>The ranges the charts offer, each with its number of steps (1 min, 15 min and 1 h).</summary>
    public static readonly IReadOnlyList<(string Since, string Label, TimeSpan Span, int Points)> Ranges =
    [
        ("1h", "Last hour", TimeSpan.FromHours(1), 60),
        ("24h", "Last 24 hours", TimeSpan.FromHours(24), 96),
        ("7d", "Last 7 days", TimeSpan.FromDays(7), 168),
    ];

    /// <summary>What the platform's Metrics page calls "now".</summary>
    public static readonly TimeSpan Recent = TimeSpan.FromMinutes(5);

    public MetricsPageView Page(Principal me, AppRecord app, string? since, string? series)
    {
        var range = RangeOf(since);
        var selected = series ?? "";
        // The picker lists what the longest range saw, so changing the range keeps every choice.
        var seen = Chart(app.Ref, Ranges[^1].Span, Ranges[^1].Points, null).Series;
        List<SeriesChoice> choices = [new("", "All services and routes", selected == "")];
        foreach (var service in seen.GroupBy(s => s.Service, StringComparer.Ordinal))
        {
            choices.Add(new(service.Key, $"{service.Key}: every route", selected == service.Key));
            choices.AddRange(service.Select(s => new SeriesChoice($"{s.Service} {s.Route}", $"{s.Service}: {s.Route}", selected == $"{s.Service} {s.Route}")));
        }
        if (!choices.Any(c => c.Selected))
        {
            choices.Add(new(selected, $"{selected} (no requests)", true));
        }
        return new MetricsPageView(dashboard.App(me, app).App,
            Ranges.Select(r => new RangeChoice(r.Since, r.Label, r.Points, r.Since == range.Since)).ToList(), choices, Summary(app, since, series),
            DashboardData.PagePath(app.Ref, "/metrics"), $"/apps/{Uri.EscapeDataString(app.Ref.App)}/metrics/content",
            "/v1" + DashboardData.PagePath(app.Ref, "/metrics/chart"), app.Ref.IsProduction ? null : app.Ref.Env);
    }

    /// <summary>The charts' numbers for the range and series picked ("" or null: all; "SERVICE"; "SERVICE ROUTE").</summary>
    public MetricsSummaryView Summary(AppRecord app, string? since, string? series)
    {
        var range = RangeOf(since);
        var chart = Chart(app.Ref, range.Span, range.Points, series);
        var now = chart.To;
        var last = chart.Times.Length - 1;
        var stepStart = DateTimeOffset.FromUnixTimeSeconds(chart.Times[last]);
        var wholeMinutes = range.Span.TotalMinutes;
        var latestMinutes = Math.Max((now - stepStart).TotalMinutes, 1.0 / 60);
        long Latest(string statusClass) => chart.Statuses[statusClass][last];
        var latest = chart.Requests[last];
        var what = string.IsNullOrEmpty(series) ? "all services and routes" : series.Replace(" ", ": ", StringComparison.Ordinal);
        List<MeasureRow> measures =
        [
            new("requests", "Requests", Count(chart.Totals.Requests), Count(latest)),
            new("rate", "Requests per minute", Rate(chart.Totals.Requests / wholeMinutes), Rate(latest / latestMinutes)),
            .. MetricsCharts.StatusClasses.Skip(1).Select(c => new MeasureRow("s" + c, c + " answers", Count(chart.Totals.Statuses[c]), Count(Latest(c)))),
            new("errors", "Errors (5xx share)", Percent(chart.Totals.Statuses["5xx"], chart.Totals.Requests), Percent(Latest("5xx"), latest)),
            new("p50", "Latency p50", Ms(chart.Totals.Requests, chart.Totals.P50Ms), Ms(latest, chart.P50Ms[last])),
            new("p95", "Latency p95", Ms(chart.Totals.Requests, chart.Totals.P95Ms), Ms(latest, chart.P95Ms[last])),
            new("p99", "Latency p99", Ms(chart.Totals.Requests, chart.Totals.P99Ms), Ms(latest, chart.P99Ms[last])),
        ];
        var rows = chart.Series.Select(s => new SeriesRow(s.Service, s.Route, Count(s.Requests), Percent(s.Errors, s.Requests),
            Ms(s.Requests, s.P50Ms), Ms(s.Requests, s.P95Ms), Ms(s.Requests, s.P99Ms))).ToList();
        return new MetricsSummaryView($"{range.Label}, {what}", $"Since {stepStart.UtcDateTime:HH:mm} UTC", measures, rows, chart.Totals.Requests);
    }

    /// <summary>Every app environment the caller may read, with its requests per minute, 5xx share and p95 of the last
    /// five minutes and its requests of the last hour.</summary>
    public PlatformMetricsView Platform(Principal me)
    {
        var now = clock.GetUtcNow();
        var rows = store.ListApps().Where(a => me.Can(Permission.Read, a.Ref)).Select(a =>
        {
            var minutes = history.Minutes(a.Ref, now - TimeSpan.FromHours(1));
            var hour = MetricsCharts.Build(minutes, now - TimeSpan.FromHours(1), now, 1, null, null).Totals;
            var recent = MetricsCharts.Build(minutes, now - Recent, now, 1, null, null);
            var elapsed = Math.Max((now - recent.From).TotalMinutes, 1.0 / 60);
            var totals = recent.Totals;
            return new TrafficRow(a.Ref.App, a.Ref.Env, DashboardData.PagePath(a.Ref, "/metrics"), Rate(totals.Requests / elapsed),
                Percent(totals.Statuses["5xx"], totals.Requests), Ms(totals.Requests, totals.P95Ms), Count(hour.Requests), hour.Requests == 0);
        }).ToList();
        return new PlatformMetricsView(rows, "the last 5 minutes", now);
    }

    /// <summary>An app environment's last hour for its overview card: requests and 5xx answers in 2-minute steps.</summary>
    public SparkView Spark(AppRef app)
    {
        const double Width = 120, Height = 28;
        var now = clock.GetUtcNow();
        var chart = MetricsCharts.Build(history.Minutes(app, now - TimeSpan.FromHours(1)), now - TimeSpan.FromHours(1), now, 30, null, null);
        var errors = chart.Statuses["5xx"];
        var top = Math.Max(1, chart.Requests.Max());
        string Line(long[] values) => string.Join(' ', values.Select((v, i) => string.Create(CultureInfo.InvariantCulture,
            $"{i * Width / Math.Max(1, values.Length - 1):0.#},{Height - 1 - v * (Height - 2) / top:0.#}")));
        var total = chart.Totals.Requests;
        var failed = chart.Totals.Statuses["5xx"];
        var perMinute = Rate(total / 60.0);
        var label = total == 0
            ? "Last hour: no requests"
            : $"Last hour: {Count(total)} requests ({perMinute} a minute), {Count(failed)} errors ({Percent(failed, total)} 5xx)";
        return new SparkView(label, Line(chart.Requests), Line(errors), total == 0 ? "no requests in the last hour" : $"{perMinute}/min, {Percent(failed, total)} 5xx");
    }

    private MetricsChartView Chart(AppRef app, TimeSpan span, int points, string? series)
    {
        var (service, route) = SeriesOf(series);
        return MetricsEndpoints.Chart(history, app, span, clock.GetUtcNow(), points, service, route);
    }

    private static (string Since, string Label, TimeSpan Span, int Points) RangeOf(string? since)
    {
        var found = Ranges.FirstOrDefault(r => r.Since == since);
        return found.Since is null ? Ranges[0] : found;
    }

    /// <summary>"SERVICE ROUTE" → its parts (a route may hold spaces; a service name cannot).</summary>
    public static (string? Service, string? Route) SeriesOf(string? series)
    {
        if (string.IsNullOrEmpty(series))
        {
            return (null, null);
        }
        var space = series.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (series, null) : (series[..space], series[(space + 1)..]);
    }

    public static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Rate(double perMinute) => perMinute.ToString(perMinute >= 100 ? "#,0" : "0.##", CultureInfo.InvariantCulture);

    public static string Percent(long part, long whole) =>
        whole == 0 ? "–" : (100.0 * part / whole).ToString(part == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>A latency ("–" without requests): milliseconds below a second, seconds above.</summary>
    public static string Ms(long requests, double? ms) => requests == 0 || ms is not { } value ? "–"
        : value >= 1000 ? (value / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " s"
        : value.ToString(value >= 100 ? "0" : "0.#", CultureInfo.InvariantCulture) + " ms";
}
