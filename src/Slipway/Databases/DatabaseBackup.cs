using System.Data;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>Takes logical backups and keeps their records:
///
///   snapshot ─► pg_dump ─► checksum ─► storage ─► verify (restore into scratch, compare row counts) ─► verified
///   (repeatable-read       (custom format,                                                          │
///    transaction: row       compressed, the                                                          └► failed + event
///    counts + exported      same snapshot)
///    snapshot)
///
/// A backup is "verified" only after its restore matched; anything else ends "failed", visible in
/// `slipway db backups` and raised as a database.backup-failed event.</summary>
internal sealed partial class DatabaseBackup(
    DatabaseStore databases,
    DatabaseProvisioner provisioner,
    IBackupStorage storage,
    BackupVerifier verifier,
    DatabaseLocks locks,
    Store store,
    DatabasesOptions options,
    ILogger<DatabaseBackup> logger)
{
    public IBackupStorage Storage => storage;

    private string TempDir => Path.Combine(options.DataDir, "backups", "tmp");

    public async Task<BackupRecord> TakeAsync(DatabaseRecord db, string kind, OperationProgress progress, CancellationToken token)
    {
        if (db.Type != DatabaseRecord.Postgres)
        {
            throw new UserException($"{db.Name} is a {db.Type} database: only postgres databases have logical backups (redis keeps an append-only file).");
        }
        using var held = await locks.HoldAsync(db.Id, token);
        return await TakeLockedAsync(db, kind, progress, token);
    }

    /// <summary>For callers that already hold the database's lock.</summary>
    public async Task<BackupRecord> TakeLockedAsync(DatabaseRecord db, string kind, OperationProgress progress, CancellationToken token)
    {
        var backup = await DumpLockedAsync(db, kind, hereOnly: false, progress, token);
        if (backup.Status != BackupStatus.Verifying)
        {
            return backup;
        }
        try
        {
            return await VerifyAsync(backup, db.Server, progress, token);
        }
        catch (OperationCanceledException)
        {
            Fail(databases.FindBackup(backup.Id) ?? backup, null, "stopped before it finished (the client hung up or the platform stopped)");
            throw;
        }
    }

    /// <summary>The first half of a backup, for callers that hold the database's lock: dumped from one snapshot, checksummed
    /// and stored, recorded as "verifying" (or "failed", with the reason). <see cref="VerifyAsync"/> is the second half.
    /// <paramref name="hereOnly"/>: stored on this machine only (<see cref="IBackupStorage.PutHereAsync"/>), so an app shut out
    /// for this dump (LiveReplacement) waits for no upload; the off-site copy follows once it verified.</summary>
    public async Task<BackupRecord> DumpLockedAsync(DatabaseRecord db, string kind, bool hereOnly, OperationProgress progress, CancellationToken token)
    {
        var id = Ids.New("bk");
        var backup = new BackupRecord(id, db.Id, db.App, db.DbName, kind, BackupStatus.Running, null, null, null, null, databases.Now(), null, null, null);
        databases.InsertBackup(backup);
        var started = Stopwatch.StartNew();
        Directory.CreateDirectory(TempDir);
        var temp = Path.Combine(TempDir, id + ".dump");
        try
        {
            var target = await provisioner.TargetAsync(db.Server, token);
            await using (var connection = await target.OpenAsync(db.DbName, token))
            await using (var snapshot = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, token))
            {
                string snapshotId;
                await using (var export = new NpgsqlCommand("select pg_export_snapshot()", connection, snapshot))
                {
                    snapshotId = (string)(await export.ExecuteScalarAsync(token))!;
                }
                var counts = await TableCounts.ReadAsync(connection, snapshot, token);
                await progress.StepAsync($"snapshot of {db.DbName}: {counts.Count} tables, {counts.Values.Sum()} rows; dumping it (pg_dump)");
                var dump = await PgTool.RunAsync(PostgresBinaries.Require().Path("pg_dump"),
                    ["--format=custom", "--compress=6", "--snapshot=" + snapshotId, "--file=" + temp, "--dbname=" + db.DbName], target.ClientEnv(), token);
                await snapshot.CommitAsync(token);
                if (!dump.Ok)
                {
                    return Fail(backup, started, dump.Describe("pg_dump"));
                }
                backup = backup with { TablesJson = TableCounts.ToJson(counts) };
            }
            var size = new FileInfo(temp).Length;
            var sha = await BackupVerifier.ChecksumAsync(temp, token);
            var key = $"{db.App}/{db.Name}/{id}.dump";
            if (hereOnly)
            {
                await progress.StepAsync($"dump written: {OperationProgress.Size(size)} in {started.Elapsed.TotalSeconds:0.0} s; storing it on this machine");
                await storage.PutHereAsync(key, temp, token);
            }
            else
            {
                await progress.StepAsync($"dump written: {OperationProgress.Size(size)} in {started.Elapsed.TotalSeconds:0.0} s; storing it in the {storage.Describe(key)}");
                await storage.PutAsync(key, temp, token);
            }
            backup = backup with
            {
                Status = BackupStatus.Verifying, Location = key, SizeBytes = size, Sha256 = sha,
                DurationMs = started.ElapsedMilliseconds,
            };
            databases.UpdateBackup(backup);
            return backup;
        }
        catch (Exception e) when (e is NpgsqlException or UserException or IOException)
        {
            return Fail(backup, started, e.Message);
        }
        catch (OperationCanceledException)
        {
            // The client hung up or the platform is stopping: failed now, not "running" until the next start.
            Fail(databases.FindBackup(backup.Id) ?? backup, started, "stopped before it finished (the client hung up or the platform stopped)");
            throw;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Verifies (again) and records the outcome.</summary>
    public async Task<BackupRecord> VerifyAsync(BackupRecord backup, string server, OperationProgress progress, CancellationToken token)
    {
        string? problem;
        await progress.StepAsync($"verifying {backup.Id}: checksum, restore into a scratch database, row counts compared");
        try
        {
            problem = await verifier.VerifyAsync(backup, server, token);
        }
        catch (Exception e) when (e is NpgsqlException or UserException or IOException)
        {
            problem = e.Message;
        }
        if (problem is not null)
        {
            return Fail(backup, null, "verification failed: " + problem);
        }
        backup = backup with { Status = BackupStatus.Verified, FinishedAt = databases.Now(), Error = null };
        databases.UpdateBackup(backup);
        LogVerified(logger, backup.Id, backup.App);
        return backup;
    }

    private BackupRecord Fail(BackupRecord backup, Stopwatch? started, string error)
    {
        backup = backup with
        {
            Status = BackupStatus.Failed, FinishedAt = databases.Now(), Error = error,
            DurationMs = started?.ElapsedMilliseconds ?? backup.DurationMs,
        };
        databases.UpdateBackup(backup);
        store.AddEvent(backup.App, null, "database.backup-failed", $"backup {backup.Id} of {backup.DbName} failed: {error}");
        LogFailed(logger, backup.Id, backup.App, error);
        return backup;
    }

    /// <summary>Applies the database's retention (after each scheduled backup).</summary>
    public async Task PruneAsync(DatabaseRecord db, CancellationToken token)
    {
        var settings = db.ParsedSettings;
        var all = databases.ListBackupsOf(db.Id).Where(b => b.Status is BackupStatus.Verified or BackupStatus.Failed).ToList();
        var items = all.Select(b => new BackupRetention.Item(b.Id, DateTime.Parse(b.StartedAt, null, System.Globalization.DateTimeStyles.AdjustToUniversal), b.Status == BackupStatus.Verified, b.Kind == BackupKind.Safety)).ToList();
        var kept = new List<string>();
        string? reason = null;
        foreach (var id in BackupRetention.ToDelete(items, settings.KeepDaily, settings.KeepWeekly))
        {
            var backup = all.First(b => b.Id == id);
            try
            {
                if (backup.Location is not null)
                {
                    await storage.DeleteAsync(backup.Location, token);
                }
            }
            catch (UserException e)
            {
                // A store that cannot be reached: the record stays (it names where copies may still be), and the next
                // retention pass deletes it again; the others still go.
                kept.Add(id);
                reason ??= e.Message.Split('\n')[0];
                continue;
            }
            databases.DeleteBackup(id);
        }
        if (kept.Count > 0)
        {
            store.AddEvent(db.App, null, "database.prune-failed",
                $"retention of {db.Name} could not delete {kept.Count} old backup(s) ({string.Join(", ", kept)}): {reason}. They are kept and deleted again after the next backup.");
            LogPruneFailed(logger, db.App, db.Name, kept.Count, reason!);
        }
    }

    /// <summary>At start-up: backups a platform stop interrupted are failed (visibly), their temp files removed.</summary>
    public void RecoverInterrupted()
    {
        foreach (var backup in databases.FailInterruptedBackups(databases.Now()))
        {
            store.AddEvent(backup.App, null, "database.backup-failed", $"backup {backup.Id} of {backup.DbName} was interrupted by a platform stop");
        }
        if (Directory.Exists(TempDir))
        {
            Directory.Delete(TempDir, recursive: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention of {App}'s database {Name} kept {Count} old backup(s) it could not delete: {Reason}")]
    private static partial void LogPruneFailed(ILogger logger, string app, string name, int count, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup {BackupId} of {App} verified")]
    private static partial void LogVerified(ILogger logger, string backupId, string app);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backup {BackupId} of {App} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string backupId, string app, string error);
}
