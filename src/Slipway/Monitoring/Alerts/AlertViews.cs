using Slipway.Manifests;

namespace Slipway.Monitoring.Alerts;

/// <summary>A rule as in effect for a scope (<c>alerts ls</c>).</summary>
/// <param name="Over">The threshold in its unit ("5%", "1s", "3"), null when the rule has none.</param>
/// <param name="SetBy">Which level set it last: default, platform, manifest or cli.</param>
internal sealed record AlertRuleView(string Name, bool Custom, string Description, bool Enabled, string? Over, string? Under, TimeSpan? For,
    int? MinRequests, int? Count, AlertSeverity Severity, IReadOnlyList<string> Channels, string SetBy, string? Metric = null,
    string? Service = null, string? Route = null);

/// <summary>One alert, firing or resolved. <paramref name="App"/> and <paramref name="Env"/> are null for the platform's.
/// <paramref name="Deliveries"/>: how each of its notices went to each channel (in history only).</summary>
internal sealed record AlertView(string Id, string Rule, string Subject, string? App, string? Env, AlertSeverity Severity, AlertState State,
    string Title, string Detail, DateTimeOffset StartedAt, DateTimeOffset? ResolvedAt, IReadOnlyList<Channels.NoticeDelivery>? Deliveries = null);

/// <summary>The rules of a scope (an app environment, or the platform) and what fires in it now.</summary>
internal sealed record AlertsView(string? App, string? Env, IReadOnlyList<AlertRuleView> Rules, IReadOnlyList<AlertView> Firing);

internal static class AlertFormat
{
    public static string? Threshold(double? value, ThresholdUnit unit) => value switch
    {
        null => null,
        { } v => unit switch
        {
            ThresholdUnit.Percent => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%",
            ThresholdUnit.Seconds => Durations.Format(TimeSpan.FromSeconds(v)),
            _ => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    public static ThresholdUnit Unit(AlertThreshold threshold) => threshold switch
    {
        AlertThreshold.Percent => ThresholdUnit.Percent,
        AlertThreshold.Seconds => ThresholdUnit.Seconds,
        AlertThreshold.Count => ThresholdUnit.Count,
        _ => ThresholdUnit.None,
    };
}
