namespace Slipway.Monitoring.Alerts;

/// <summary>The adjustable parts of a rule, as in effect for one app environment (its own setting, else the
/// platform-wide one, else the rule's defaults; a field left null falls through to the next level).</summary>
/// <param name="Enabled">Off means no signal is evaluated and an open alert of the rule resolves.</param>
/// <param name="Over">The threshold, in the rule's <see cref="ThresholdUnit"/> (percent as 5 for 5%, seconds,
/// a count). For "disk" the free share under which it fires.</param>
/// <param name="For">How long the condition must hold, or the window a rate is measured over (error rate and latency:
/// the last 5 minutes).</param>
/// <param name="MinRequests">Requests the window needs before a rate or percentile counts (a 50% error rate of two
/// requests is noise).</param>
/// <param name="Count">A count the rule needs: cron failures in a row, restarts, days before a certificate expires.</param>
/// <param name="Severity">Overrides the rule's severity.</param>
/// <param name="Channels">Channel names to notify; empty or null: every channel that takes the severity.</param>
internal sealed record AlertRuleSettings(
    bool? Enabled = null,
    double? Over = null,
    TimeSpan? For = null,
    int? MinRequests = null,
    int? Count = null,
    AlertSeverity? Severity = null,
    IReadOnlyList<string>? Channels = null)
{
    /// <summary>This level's values where set, else <paramref name="fallback"/>'s.</summary>
    public AlertRuleSettings Or(AlertRuleSettings fallback) => new(
        Enabled ?? fallback.Enabled, Over ?? fallback.Over, For ?? fallback.For, MinRequests ?? fallback.MinRequests,
        Count ?? fallback.Count, Severity ?? fallback.Severity, Channels ?? fallback.Channels);
}
