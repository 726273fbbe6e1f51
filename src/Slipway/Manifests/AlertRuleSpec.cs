namespace Slipway.Manifests;

/// <summary>One key of the manifest's "alerts": a built-in rule adjusted or turned off ("error-rate": {"over":
/// "10%"}, "oom-kill": false), or a custom rule over the app's traffic ("slow-checkout": {"metric": "p95", "route":
/// "/checkout", "over": "800ms"}). Thresholds are read in the rule's own unit (<see cref="AlertRuleNames"/>): percent
/// as 5 for 5%, seconds, counts. Null means "as the platform says".</summary>
internal sealed record AlertRuleSpec
{
    public required string Name { get; init; }
    public bool? Enabled { get; init; }

    /// <summary>A custom rule's measure: error-rate, p50, p95, p99 or rpm; null for a built-in rule.</summary>
    public string? Metric { get; init; }
    public double? Over { get; init; }
    public double? Under { get; init; }
    public TimeSpan? For { get; init; }
    public int? MinRequests { get; init; }
    public int? Count { get; init; }

    /// <summary>"warning" or "critical".</summary>
    public string? Severity { get; init; }
    public IReadOnlyList<string>? Channels { get; init; }
    public string? Service { get; init; }
    public string? Route { get; init; }

    public bool IsCustom => Metric is not null;
}
