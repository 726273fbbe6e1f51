using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Errors;

/// <summary>Error tracking's alerts, through the alert channels like every other rule:
/// "error-new" (an issue first seen within the hour; resolves an hour later or when resolved or ignored),
/// "error-regression" (a resolved issue seen in a later release, within 24 h) and "error-spike" (an issue's last hour
/// at 10× its hourly average over the day before, and at least 10 events). Ignored issues never alert.</summary>
internal sealed class ErrorAlertSource(ErrorStore errors, Store store) : IAlertSource
{
    public const string New = "error-new";
    public const string Regression = "error-regression";
    public const string Spike = "error-spike";

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } =
    [
        new(New, "A new error issue (first seen within the hour); warning", new AlertRuleSettings(Severity: AlertSeverity.Warning), ThresholdUnit.None),
        new(Regression, "A resolved error issue seen again in a later release, within 24 h; critical",
            new AlertRuleSettings(Severity: AlertSeverity.Critical), ThresholdUnit.None),
        new(Spike, "An error issue's last hour at --over times (default 10) its hourly average over the day before, with at least 10 events; critical",
            new AlertRuleSettings(Severity: AlertSeverity.Critical, Over: 10), ThresholdUnit.Count),
    ];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var signals = new List<AlertSignal>();
        foreach (var issue in errors.NewSince(context.Now - TimeSpan.FromHours(1)).Where(i => context.IsOn(New, i.AppKey)))
        {
            signals.Add(Signal(context, New, issue, AlertSeverity.Warning, $"new error: {issue.Title}",
                $"First seen {AlertText.Time(issue.FirstSeen)} in release {issue.FirstRelease ?? "(none)"}; {issue.Count} event(s) so far."));
        }
        foreach (var issue in errors.RegressedSince(context.Now - TimeSpan.FromHours(24)).Where(i => context.IsOn(Regression, i.AppKey)))
        {
            signals.Add(Signal(context, Regression, issue, AlertSeverity.Critical, $"error regressed: {issue.Title}",
                $"Resolved in {issue.ResolvedIn ?? "(no release)"}, seen again in {issue.RegressedIn ?? "(no release)"}."));
        }
        foreach (var (issue, lastHour, baseline) in errors.Rates(context.Now))
        {
            if (issue.Status == IssueStatus.Ignored || !context.IsOn(Spike, issue.AppKey) || baseline <= 0)
            {
                continue;
            }
            var factor = context.Settings(Spike, issue.AppKey).Over ?? 10;
            if (lastHour >= 10 && lastHour >= factor * baseline)
            {
                signals.Add(Signal(context, Spike, issue, AlertSeverity.Critical, $"error spike: {issue.Title}",
                    $"{lastHour:0} events in the last hour, {lastHour / baseline:0.#}× its hourly average of {baseline:0.#} over the day before."));
            }
        }
        return signals;
    }

    private AlertSignal Signal(AlertContext context, string rule, IssueRecord issue, AlertSeverity fallback, string title, string detail)
    {
        var app = store.RefOf(issue.AppKey);
        return new AlertSignal(rule, $"issue:{issue.Id}", issue.AppKey, context.Settings(rule, issue.AppKey).Severity ?? fallback,
            $"{app}: {title}", $"{detail} Details: slipway errors show {issue.Id} {app.Flags}");
    }
}
