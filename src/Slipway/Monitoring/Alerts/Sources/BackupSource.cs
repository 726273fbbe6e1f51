using Slipway.Databases;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Sources;

/// <summary>"backup": a database of an environment that is backed up has no verified backup taken within For
/// (default 26 h: a daily schedule plus its run time; only once the database is older than that), or its most
/// recent backup (or its verification) failed. One alert per database (subject "db:NAME"); it resolves with the next
/// verified backup. One query for every database (<see cref="DatabaseStore.BackupHealth"/>). The managed cluster's WAL
/// archiving failing is the platform's own alert of this rule (subject "wal-archive"): point-in-time recovery stops at
/// the last segment archived.</summary>
internal sealed class BackupSource(DatabaseStore databases, Store store, WalArchiveWatch archive) : IAlertSource
{
    public const string Backup = "backup";

    public static readonly AlertRuleDefinition Definition = new(Backup,
        "A database has no verified backup within 26 h, or its latest backup or verification failed; critical",
        new AlertRuleSettings(For: TimeSpan.FromHours(26), Severity: AlertSeverity.Critical), ThresholdUnit.None);

    public IReadOnlyList<AlertRuleDefinition> Rules { get; } = [Definition];

    public IEnumerable<AlertSignal> Evaluate(AlertContext context, CancellationToken cancellationToken)
    {
        var signals = new List<AlertSignal>();
        if (archive.Failing is { } failing && context.IsOn(Backup, null))
        {
            signals.Add(new AlertSignal(Backup, "wal-archive", null, context.Settings(Backup, null).Severity ?? AlertSeverity.Critical,
                $"WAL archiving of the managed PostgreSQL is failing at segment {failing.Segment}",
                $"Failing since {AlertText.Time(failing.Since)}; point-in-time recovery reaches only " +
                $"{(failing.LastArchivedAt is { } a ? AlertText.Time(a) : "the base backups")}. The reason is in the cluster's log " +
                "(\"archive command failed\"); slipway events --platform lists the failure."));
        }
        var health = databases.BackupHealth();
        if (health.Count == 0)
        {
            return signals;
        }
        var apps = AppLabels.Read(store);
        foreach (var db in health)
        {
            if (!context.IsOn(Backup, db.App))
            {
                continue;
            }
            var settings = context.Settings(Backup, db.App);
            var within = settings.For ?? Definition.Defaults.For!.Value;
            var app = apps.Ref(db.App);
            var severity = settings.Severity ?? AlertSeverity.Critical;
            var next = $"Take one now: slipway db backup {app.Flags} --name {db.Name}; all of them: slipway db backups {app.Flags}";
            if (db.LastStatus == BackupStatus.Failed)
            {
                var error = AlertText.FirstLine(db.LastError);
                signals.Add(new AlertSignal(Backup, "db:" + db.Name, db.App, severity,
                    $"{app}: backup {db.LastId} of db {db.Name} failed: {(error.Length > 0 ? error : "no error recorded")}",
                    $"Backup {db.LastId} of db {db.Name}, started {At(db.LastStartedAt)}, failed. Last verified backup: {At(db.LastVerifiedAt)}. {next}"));
                continue;
            }
            var cutoff = context.Now - within;
            var verified = db.LastVerifiedAt is { } text && UtcTime.TryParse(text, out var at) ? at : (DateTimeOffset?)null;
            var created = UtcTime.TryParse(db.CreatedAt, out var c) ? c : context.Now;
            if ((verified is null || verified < cutoff) && created < cutoff)
            {
                signals.Add(new AlertSignal(Backup, "db:" + db.Name, db.App, severity,
                    $"{app}: no verified backup of db {db.Name} in {AlertText.Span(within)}",
                    $"Last verified backup of db {db.Name}: {At(db.LastVerifiedAt)}. Scheduled backups run at 03:00 UTC unless its \"backups\" \"schedule\" in slipway.json says otherwise. {next}"));
            }
        }
        return signals;
    }

    private static string At(string? stored) => !string.IsNullOrEmpty(stored) && UtcTime.TryParse(stored, out var at) ? AlertText.Time(at) : "never";
}
