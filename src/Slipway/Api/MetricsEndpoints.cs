using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Monitoring;

namespace Slipway.Api;

/// <summary>GET /metrics: Prometheus text of every platform metric (see Monitoring/MetricsRegistration) for a
/// platform-wide viewer or more (a token: `slipway tokens create --role viewer`), the server's own user over the
/// Unix socket, or a scraper on this machine at the TCP API port (<see cref="LoopbackScraper"/>).</summary>
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
            var window = since ?? "1h";
            if (!Durations.TryParseWindow(window, out var span) || span <= TimeSpan.Zero || span > MetricsHistory.Kept)
            {
                throw new UserException($"--since '{window}' is not a duration up to 30d (the history kept): use one like 1h, 24h or 7d.");
            }
            return history.Query(AppScope.Of(context, app), clock.GetUtcNow() - span, Math.Clamp(points ?? 48, 1, 500));
        }).RequireAccess(Permission.Read, "metrics");
    }
}
