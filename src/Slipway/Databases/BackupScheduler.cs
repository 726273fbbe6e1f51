using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Manifests;

namespace Slipway.Databases;

/// <summary>Runs each postgres database's scheduled backups (its cron, default daily) and then its retention.
/// A run is recorded as started before the dump, so a crash never makes it loop; runs missed while the
/// platform was down collapse into one.</summary>
internal sealed partial class BackupScheduler(DatabaseStore databases, DatabaseBackup backups, DatabasesOptions options, TimeProvider clock, ILogger<BackupScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        backups.RecoverInterrupted();
        using var timer = new PeriodicTimer(options.BackupTick, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RunDueAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task RunDueAsync(CancellationToken token)
    {
        if (RestoreMark.IsPending(options.DataDir))
        {
            return; // the databases are being restored: a backup now would be of a half-loaded one
        }
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var db in databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres && d.App.Length > 0))
        {
            var since = DateTime.Parse(db.LastScheduledAt ?? db.CreatedAt, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
            if (!BackupSchedule.IsDue(db.ParsedSettings.Schedule, since, now))
            {
                continue;
            }
            databases.SetLastScheduled(db.Id, databases.Now());
            try
            {
                var backup = await backups.TakeAsync(db, BackupKind.Scheduled, OperationProgress.None, token);
                LogScheduled(logger, db.App, db.Name, backup.Status);
                await backups.PruneAsync(db, token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogBug(logger, db.App, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled backup of {App} ({Name}): {Status}")]
    private static partial void LogScheduled(ILogger logger, string app, string name, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled backup of {App} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string app, Exception exception);
}
