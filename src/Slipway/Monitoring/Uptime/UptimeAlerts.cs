using Slipway.Monitoring.Alerts;

namespace Slipway.Monitoring.Uptime;

/// <summary>The "uptime" alert rule: a signal per open incident of a check (not a person's incident on a status page),
/// subject "check:NAME", for the check's app environment (null: a platform-wide check). The incident itself already
/// needs 2 failures in a row to open and 2 successes in a row to close, so the alert does not flap with the target.</summary>
internal sealed class UptimeAlerts(UptimeStore store, UptimeMonitor monitor) : IAlertSource
{
    public const string Rule = "uptime";

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } =
    [
        new(Rule, "an uptime check failing 2 times in a row; resolved when it recovers", new AlertRuleSettings(Enabled: true, Severity: AlertSeverity.Critical),
            ThresholdUnit.None),
    ];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var checks = monitor.Checks.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var incident in store.OpenIncidents())
        {
            if (incident.CheckId is null || !checks.TryGetValue(incident.CheckId, out var check) || check.Paused || !context.IsOn(Rule, check.App))
            {
                continue;
            }
            var severity = context.Settings(Rule, check.App).Severity ?? AlertSeverity.Critical;
            var since = incident.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
            var cause = incident.LastCause ?? incident.Cause;
            yield return new AlertSignal(Rule, $"check:{check.Name}", check.App, severity, $"{check.Name}: down ({check.Request})",
                $"Down since {since}: {cause}" + (cause == incident.Cause ? "" : $" (first: {incident.Cause})") +
                $". 'slipway uptime ls' shows every check; checks run every {Durations.Format(check.Interval)}.");
        }
    }
}
