using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;

namespace Slipway.Offsite;

/// <summary>"offsite": copies to an off-site store failing (database backups, WAL, base backups, the platform's state;
/// one alert per store, a database's own store included), or the last `storage verify` of a database's copy failing. A
/// platform alert (no app); it resolves with the next copy to that store that works. A failed `storage verify` is also the "backup" alert of each database whose copy did not restore (subject
/// "offsite:NAME", beside the backups' own "db:NAME"), on the database's app, so it reaches whoever watches that app's
/// backups; it resolves with the next verify that passes.</summary>
internal sealed class OffsiteAlertSource(OffsiteHealth health, StorageVerifier verifier) : IAlertSource
{
    public const string Offsite = "offsite";

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } =
    [
        new(Offsite, "Copies to the off-site store fail, or its backups do not restore (storage verify); critical",
            new AlertRuleSettings(Severity: AlertSeverity.Critical), ThresholdUnit.None, PerApp: false),
    ];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        if (verifier.LastFailure is { } failure)
        {
            foreach (var db in failure.Databases.Where(d => context.IsOn(BackupSource.Backup, d.App)))
            {
                yield return new AlertSignal(BackupSource.Backup, "offsite:" + db.Database, db.App,
                    context.Settings(BackupSource.Backup, db.App).Severity ?? AlertSeverity.Critical,
                    $"{db.App ?? "detached"}: the off-site copy of db {db.Database} did not restore: {AlertText.FirstLine(db.Problem)}",
                    $"slipway storage verify, run {AlertText.Time(failure.At)}, checked backup {db.BackupId} in store {failure.Storage} (read back, restored into scratch): " +
                    $"{db.Problem}. A lost machine could not get this database back from the store. See slipway events; run slipway storage verify again once fixed.");
            }
        }
        if (!context.IsOn(Offsite, null))
        {
            yield break;
        }
        var severity = context.Settings(Offsite, null).Severity ?? AlertSeverity.Critical;
        foreach (var failing in health.Failing)
        {
            yield return new AlertSignal(Offsite, "store:" + failing.Storage, null, severity,
                $"copies to off-site store {failing.Storage} are failing: {failing.Reason}",
                $"Failing since {AlertText.Time(failing.Since)}; backups, WAL and the platform's state stay on this machine until it works (retried every round); " +
                "check the store's keys and reachability (slipway storage ls) and slipway events.");
        }
        if (verifier.LastFailure is { } verify)
        {
            yield return new AlertSignal(Offsite, "verify:" + verify.Storage, null, severity,
                $"off-site backups in store {verify.Storage} did not restore: {verify.Reason}",
                $"slipway storage verify, run {AlertText.Time(verify.At)}, restored the store's newest backup of each database into scratch; " +
                "see slipway events and run it again once fixed.");
        }
    }
}
