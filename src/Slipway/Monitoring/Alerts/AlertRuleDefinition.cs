namespace Slipway.Monitoring.Alerts;

/// <summary>What a rule's threshold is measured in, so "--over 5%", "--over 1s" and "--over 3" read and print in the
/// rule's own unit.</summary>
internal enum ThresholdUnit
{
    None,
    Percent,
    Seconds,
    Count,
}

/// <summary>A built-in rule an <see cref="IAlertSource"/> evaluates: on by default unless
/// <see cref="AlertRuleSettings.Enabled"/> says otherwise, adjustable per app environment or platform-wide
/// (<c>slipway alerts set NAME</c>, <c>"alerts": {"NAME": {...}}</c> in slipway.json).</summary>
/// <param name="Name">Lowercase with dashes: "deploy-failed", "error-rate".</param>
/// <param name="Description">One line for <c>alerts ls</c>: what fires it, with the defaults.</param>
/// <param name="Defaults">The settings when nobody changed them.</param>
/// <param name="Unit">What <see cref="AlertRuleSettings.Over"/> is measured in; None when the rule has no threshold.</param>
/// <param name="PerApp">False for platform-wide conditions (disk, the managed PostgreSQL): such a rule is set only
/// platform-wide.</param>
internal sealed record AlertRuleDefinition(string Name, string Description, AlertRuleSettings Defaults, ThresholdUnit Unit, bool PerApp = true);
