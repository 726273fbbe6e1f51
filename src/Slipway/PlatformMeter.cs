using System.Diagnostics.Metrics;

namespace Slipway;

/// <summary>Every instrument Slipway defines belongs to one meter, "Slipway", made by the host's
/// <see cref="IMeterFactory"/> (so two platforms in one process, as in tests, never count into each other's
/// instruments; the exporter keeps only its own host's). Each subsystem names its instruments in its own
/// *Metrics class, as ASP.NET Core does. Names follow OpenTelemetry's conventions (dots, a unit, no "_total"):
/// the Prometheus exporter turns "slipway.http.server.requests" into slipway_http_server_requests_total.</summary>
internal static class PlatformMeter
{
    public const string Name = "Slipway";

    /// <summary>The meter of <paramref name="factory"/>, or a meter of its own for a part built without a host (unit tests).</summary>
    public static Meter Create(IMeterFactory? factory) => factory?.Create(Name) ?? new Meter(Name);

    public static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}
