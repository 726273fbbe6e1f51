using System.CommandLine;
using System.Globalization;
using Slipway.Edge;

namespace Slipway.Cli;

/// <summary>`slipway metrics`: what the edge counted for an app since the platform started.</summary>
internal static class MetricsCommands
{
    public static Command Create(CliContext cli)
    {
        var app = AppOption.Required();
        var command = new Command("metrics", "Requests per service and route since the platform started: counts by status class and p50/p95/p99 latency")
        {
            app, CliContext.JsonOutput,
        };
        command.SetAction((parse, token) => cli.RunAsync(() => cli.ListAsync<SeriesSnapshot>(parse, $"v1/apps/{parse.GetValue(app)}/metrics",
            $"No requests to {parse.GetValue(app)} since the platform started.",
            series => cli.Table(["service", "route", "requests", "2xx", "3xx", "4xx", "5xx", "p50", "p95", "p99"], series.Select(s => (IReadOnlyList<string>)
            [
                s.Service, s.Route, Count(s.Requests), Count(s.Statuses["2xx"]), Count(s.Statuses["3xx"]), Count(s.Statuses["4xx"]),
                Count(s.Statuses["5xx"]), Ms(s.P50Ms), Ms(s.P95Ms), Ms(s.P99Ms),
            ])), token)));
        return command;
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ms(double ms) => ms < 1 ? $"{ms * 1000:0}us" : ms < 1000 ? $"{ms:0.#}ms" : $"{ms / 1000:0.##}s";
}
