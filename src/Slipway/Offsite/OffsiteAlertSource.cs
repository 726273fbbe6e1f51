using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>"offsite": copies to an off-site store failing (database backups, WAL, base backups, the platform's state;
/// one alert per store, a database's own store included), or the last `storage verify` of a database's copy failing. A
/// platform alert (no app); it resolves with the next copy to that store that works. Two kinds of failure are also the
/// "backup" alert of the database concerned, on the database's app, so they reach whoever watches that app's backups:
/// its own store failing (subject "offsite-store:NAME": its backups stay on this machine), and a failed `storage verify`
/// of its copy (subject "offsite:NAME", beside the backups' own "db:NAME"; it resolves with the next verify that passes).</summary>
internal sealed class OffsiteAlertSource(OffsiteHealth health, StorageVerifier verifier, Store store) : IAlertSource
{
    public const string Offsite = "offsite";

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } =
    [
        new(Offsite, "Copies to the off-site store fail, or its backups do not restore (storage verify); critical",
            new AlertRuleSettings(Severity: AlertSeverity.Critical), ThresholdUnit.None, PerApp: false),
    ];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var failing = health.Failing;
        var verify = verifier.LastFailure;
        var apps = failing.Any(f => f.Scope is not null) || verify is not null ? AppLabels.Read(store) : null;
        foreach (var db in verify?.Databases.Where(d => context.IsOn(BackupSource.Backup, d.App)) ?? [])
        {
            yield return new AlertSignal(BackupSource.Backup, "offsite:" + db.Database, db.App,
                context.Settings(BackupSource.Backup, db.App).Severity ?? AlertSeverity.Critical,
                $"{Label(apps!, db.App)}: the off-site copy of db {db.Database} did not restore: {AlertText.FirstLine(db.Problem)}",
                $"slipway storage verify, run {AlertText.Time(verify!.At)}, checked backup {db.BackupId} in store {db.Storage} (read back, restored into scratch): " +
                $"{db.Problem}. A lost machine could not get this database back from the store. See slipway events; run slipway storage verify again once fixed.");
        }
        foreach (var spell in failing)
        {
            if (Database(spell.Scope) is not { } scoped || !context.IsOn(BackupSource.Backup, scoped.Row))
            {
                continue;
            }
            yield return new AlertSignal(BackupSource.Backup, "offsite-store:" + scoped.Database, scoped.Row,
                context.Settings(BackupSource.Backup, scoped.Row).Severity ?? AlertSeverity.Critical,
                $"{apps!.Ref(scoped.Row)}: copies of db {scoped.Database}'s backups to its off-site store {spell.Storage} are failing: {spell.Reason}",
                $"Failing since {AlertText.Time(spell.Since)}; its backups stay on this machine until the store works (retried every round), so a lost machine " +
                "would lose them. Check the store's keys and reachability (slipway storage ls) and slipway events; slipway storage sync tries again now.");
        }
        if (!context.IsOn(Offsite, null))
        {
            yield break;
        }
        var severity = context.Settings(Offsite, null).Severity ?? AlertSeverity.Critical;
        foreach (var spell in failing)
        {
            var stays = Database(spell.Scope) is { } scoped
                ? $"the backups of db {scoped.Database} of {apps!.Ref(scoped.Row)} stay on this machine"
                : "backups, WAL and the platform's state stay on this machine";
            yield return new AlertSignal(Offsite, "store:" + spell.Storage, null, severity,
                $"copies to off-site store {spell.Storage}{(spell.Scope is { } scope ? $" (db {scope}'s own)" : "")} are failing: {spell.Reason}",
                $"Failing since {AlertText.Time(spell.Since)}; {stays} until it works (retried every round); " +
                "check the store's keys and reachability (slipway storage ls) and slipway events.");
        }
        if (verify is not null)
        {
            yield return new AlertSignal(Offsite, "verify:" + verify.Storage, null, severity,
                $"off-site backups in store {verify.Storage} did not restore: {verify.Reason}",
                $"slipway storage verify, run {AlertText.Time(verify.At)}, restored the store's newest backup of each database into scratch; " +
                "see slipway events and run it again once fixed.");
        }
    }

    /// <summary>A scope's environment row and database ("ROW/DB"); null for the platform-wide store.</summary>
    private static (string Row, string Database)? Database(string? scope) =>
        scope?.Split('/', 2) is [var row, var database] ? (row, database) : null;

    private static string Label(AppLabels apps, string? row) => row is null ? "detached" : apps.Ref(row).ToString();
}
