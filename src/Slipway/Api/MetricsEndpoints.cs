using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Monitoring;

namespace Slipway.Api;

/// <summary>GET /metrics: Prometheus text of every platform metric (see Monitoring/MetricsRegistration) for a
/// platform-wide viewer or more (a token: `slipway tokens create --role viewer`), the server's own user over the
/// Unix socket, or a scraper on this machine at the TCP API port (<see cref="LoopbackScraper"/>). An app environment's
/// request history: /v1/apps/{app}/metrics/history (`slipway metrics --since`) and /metrics/chart (what the dashboard's
/// charts draw: per step, status classes and percentiles too, for all series or one service or route, the minute now
/// running included).</summary>
internal static class MetricsEndpoints
{
    public static void MapMetricsApi(this WebApplication app)
    {
        if (app.Services.GetService<OpenTelemetry.Metrics.MeterProvider>() is not null)
        {
            MetricsRegistration.CreateObservers(app.Services);
            app.MapPrometheusScrapingEndpoint("/metrics")
                .RequireAccess(Permission.Read, "metrics.scrape")
                .WithMetadata(new LoopbackScraper());
        }
        app.MapGet("/v1/apps/{app}/metrics/history", (string app, string? since, int? points, State.Store store, MetricsHistory history,
            TimeProvider clock, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return history.Query(AppScope.Of(context, app), clock.GetUtcNow() - Window(since), Math.Clamp(points ?? 48, 1, 500));
        }).RequireAccess(Permission.Read, "metrics");
        app.MapGet("/v1/apps/{app}/metrics/chart", (string app, string? since, int? points, string? service, string? route, State.Store store,
            MetricsHistory history, TimeProvider clock, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return Chart(history, AppScope.Of(context, app), Window(since), clock.GetUtcNow(), points ?? 60, service, route);
        }).RequireAccess(Permission.Read, "metrics.chart");
    }

    /// <summary>The window a ?since= asks for (default 1h), up to the 30 days kept.</summary>
    public static TimeSpan Window(string? since)
    {
        var window = since ?? "1h";
        if (!Durations.TryParseWindow(window, out var span) || span <= TimeSpan.Zero || span > MetricsHistory.Kept)
        {
            throw new UserException($"--since '{window}' is not a duration up to 30d (the history kept): use one like 1h, 24h or 7d.");
        }
        return span;
    }

    /// <summary>An app environment's chart over <paramref name="window"/> up to <paramref name="now"/> (empty
    /// <paramref name="service"/> or <paramref name="route"/>: all).</summary>
    public static MetricsChartView Chart(MetricsHistory history, AppRef app, TimeSpan window, DateTimeOffset now, int points, string? service, string? route) =>
        MetricsCharts.Build(history.Minutes(app, now - window), now - window, now, points,
            string.IsNullOrEmpty(service) ? null : service, string.IsNullOrEmpty(route) ? null : route);
}
