using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Slipway.Access;

namespace Slipway.Api;

/// <summary>GET /metrics: Prometheus text of every platform metric (see Monitoring/MetricsRegistration) for a
/// platform-wide viewer or more (a token: `slipway tokens create --role viewer`), the server's own user over the
/// Unix socket, or a scraper on this machine at the TCP API port (<see cref="LoopbackScraper"/>).</summary>
internal static class MetricsEndpoints
{
    public static void MapMetricsApi(this WebApplication app)
    {
        Monitoring.MetricsRegistration.CreateObservers(app.Services);
        app.MapPrometheusScrapingEndpoint("/metrics")
            .RequireAccess(Permission.Read, "metrics.scrape")
            .WithMetadata(new LoopbackScraper());
    }
}
