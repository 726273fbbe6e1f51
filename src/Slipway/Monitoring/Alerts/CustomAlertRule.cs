using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts;

/// <summary>What a custom rule measures from the edge's traffic of an app environment (optionally one service or
/// route) over its window: the share of 5xx answers (percent), a latency percentile (seconds), or requests per
/// minute.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<TrafficMetric>))]
internal enum TrafficMetric
{
    ErrorRate,
    P50,
    P95,
    P99,
    Rpm,
}

/// <summary>A rule a user wrote (<c>slipway alerts add</c>, or a key of "alerts" in slipway.json that is not a
/// built-in rule): fires while <see cref="Metric"/> over the last <see cref="For"/> is above <see cref="Over"/> (or
/// below <see cref="Under"/>), once the window holds <see cref="MinRequests"/> requests (not for
/// <see cref="TrafficMetric.Rpm"/> under a threshold: no traffic at all is what such a rule watches for).</summary>
/// <param name="App">The app environment's row key.</param>
internal sealed record CustomAlertRule(
    string Name,
    string App,
    TrafficMetric Metric,
    double? Over,
    double? Under,
    TimeSpan For,
    int MinRequests,
    string? Service,
    string? Route,
    AlertSeverity Severity,
    IReadOnlyList<string> Channels);
