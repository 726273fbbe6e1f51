using System.CommandLine;
using System.Globalization;
using Slipway.Edge;
using Slipway.Monitoring;

namespace Slipway.Cli;

/// <summary>`slipway metrics`: what the edge counted for an app, since the platform started or, with --since, from
/// the per-minute history (kept 30 days) with a sparkline of requests.</summary>
internal static class MetricsCommands
{
    private const string Bars = "▁▂▃▄▅▆▇█";

    public static Command Create(CliContext cli)
    {
        var app = AppOption.Required();
        var since = new Option<string>("--since")
        {
            Description = "Show the history of this window (1h, 24h, 7d; kept 30 days): totals, percentiles and a sparkline of requests per step",
        };
        var command = new Command("metrics", "Requests per service and route: counts by status class and p50/p95/p99 latency, since the platform started or over --since")
        {
            app, since, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(async () =>
        {
            var name = parse.GetValue(app)!;
            var target = parse.GetValue(CliContext.Environment) is { } env ? $"{name} ({env})" : name;
            if (parse.GetValue(since) is not { } window)
            {
                return await cli.ListAsync<SeriesSnapshot>(parse, $"v1/apps/{name}/metrics",
                    $"No requests to {target} since the platform started.",
                    series => cli.Table(["service", "route", "requests", "2xx", "3xx", "4xx", "5xx", "p50", "p95", "p99"], series.Select(s => (IReadOnlyList<string>)
                    [
                        s.Service, s.Route, Count(s.Requests), Count(s.Statuses["2xx"]), Count(s.Statuses["3xx"]), Count(s.Statuses["4xx"]),
                        Count(s.Statuses["5xx"]), Ms(s.P50Ms), Ms(s.P95Ms), Ms(s.P99Ms),
                    ])), token);
            }
            using var api = cli.Api(parse);
            var view = await api.GetAsync<MetricsHistoryView>($"v1/apps/{name}/metrics/history?since={Uri.EscapeDataString(window)}", token);
            cli.Print(parse, view, v =>
            {
                if (v.Series.Count == 0)
                {
                    cli.Out.WriteLine($"No requests to {target} in the last {window}.");
                    return;
                }
                cli.Out.WriteLine($"{target}, {UtcTime.Format(v.From)} to {UtcTime.Format(v.To)}, one bar per {Durations.Format(v.Step)}:");
                cli.Table(["service", "route", "requests", "2xx", "4xx", "5xx", "p50", "p95", "p99", "requests over time"], v.Series.Select(s => (IReadOnlyList<string>)
                [
                    s.Service, s.Route, Count(s.Requests), Count(s.Statuses["2xx"]), Count(s.Statuses["4xx"]), Count(s.Statuses["5xx"]),
                    Ms(s.P50Ms), Ms(s.P95Ms), Ms(s.P99Ms), Sparkline(s.RequestsPerStep),
                ]));
            });
            return 0;
        }));
        return command;
    }

    /// <summary>One block character per value, scaled to the largest ("▁" for none, "█" for the most).</summary>
    public static string Sparkline(IReadOnlyList<long> values)
    {
        var max = values.Count == 0 ? 0 : values.Max();
        return string.Concat(values.Select(v => max == 0 || v == 0 ? Bars[0] : Bars[(int)Math.Ceiling((double)v * (Bars.Length - 1) / max)]));
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double ms) => ms < 1 ? $"{ms * 1000:0}us" : ms < 1000 ? $"{ms:0.#}ms" : $"{ms / 1000:0.##}s";
}
