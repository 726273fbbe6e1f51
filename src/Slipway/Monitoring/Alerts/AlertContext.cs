namespace Slipway.Monitoring.Alerts;

/// <summary>What a source needs during one evaluation: the time, and each rule's settings in effect for an app
/// environment (the rule's defaults, overlaid by the platform-wide setting, the live release's "alerts", then the
/// CLI's setting for the environment, which wins).</summary>
internal sealed class AlertContext(DateTimeOffset now, Func<string, string?, AlertRuleSettings> settings, IReadOnlyList<CustomAlertRule>? custom = null)
{
    public DateTimeOffset Now { get; } = now;

    /// <summary>The custom rules in effect now, of every app environment that runs (the live release's manifest and
    /// the CLI's).</summary>
    public IReadOnlyList<CustomAlertRule> CustomRules { get; } = custom ?? [];

    /// <summary>The settings of <paramref name="rule"/> for app environment row <paramref name="app"/> (null:
    /// platform-wide). Every field is filled: Enabled, Severity and Channels always; Over, For, MinRequests and Count
    /// where the rule has them.</summary>
    public AlertRuleSettings Settings(string rule, string? app) => settings(rule, app);

    /// <summary>Whether <paramref name="rule"/> is on for <paramref name="app"/>.</summary>
    public bool IsOn(string rule, string? app) => Settings(rule, app).Enabled != false;
}
