using Slipway.State;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>"deploy-failed": an app environment's most recent finished deployment (deploy, rollback, restart, config
/// release or promote) failed, within the last 24 hours. It resolves when a later one goes live (or fails: that one is
/// the alert then) and after 24 hours. A cancelled deployment is not a failure and does not end one.</summary>
internal sealed class DeploySource(Store store) : IAlertSource
{
    public const string DeployFailed = "deploy-failed";

    /// <summary>How long a failed deployment keeps its alert when nothing replaces it.</summary>
    public static readonly TimeSpan Remembered = TimeSpan.FromHours(24);

    public static readonly AlertRuleDefinition Definition = new(DeployFailed,
        "An app environment's latest deployment (deploy, rollback, restart, config, promote) failed, within 24 h; critical",
        new AlertRuleSettings(Severity: AlertSeverity.Critical), ThresholdUnit.None);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [Definition];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var failed = store.LatestFailedDeployments(context.Now - Remembered);
        if (failed.Count == 0)
        {
            return [];
        }
        var apps = AppLabels.Read(store);
        var signals = new List<AlertSignal>();
        foreach (var d in failed)
        {
            if (!context.IsOn(DeployFailed, d.App))
            {
                continue;
            }
            var app = apps.Ref(d.App);
            var kind = JsonSpellings.Of(d.Kind);
            var step = d.Step is null ? "" : $" at {d.Step}";
            var error = AlertText.FirstLine(d.Error);
            var when = d.FinishedAt is { } at ? $" ({AlertText.Time(at)})" : "";
            var live = apps.Row(d.App)?.LiveDeploymentId is { } liveId
                ? $"{liveId} still serves."
                : "Nothing of this environment serves yet.";
            signals.Add(new AlertSignal(DeployFailed, $"deploy:{d.Id}", d.App, context.Settings(DeployFailed, d.App).Severity ?? AlertSeverity.Critical,
                $"{app}: {kind} {d.Id} failed",
                $"The {kind} {d.Id} of {app} failed{step}{when}: {(error.Length > 0 ? error : "no error recorded")}. {live} " +
                $"Its whole log: slipway logs --deployment {d.Id} {app.Flags}"));
        }
        return signals;
    }
}
