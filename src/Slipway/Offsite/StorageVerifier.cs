using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>`slipway storage verify`, and weekly on its own: for each database, its newest verified backup is read back
/// from the store (not the local copy), opened with the backup key, checksummed, restored into a scratch database and
/// its row counts compared with the dump's. A failure is a "offsite.verify-failed" event, the "offsite" alert and the
/// "backup" alert of each database concerned (<see cref="OffsiteAlertSource"/>) until a later run passes. A run passes
/// ("offsite.verified") only when it restored something; the event says which databases it checked and which it could not
/// (no verified backup yet). A run with nothing to check is "offsite.verify-empty", never a pass.</summary>
internal sealed partial class StorageVerifier(
    OffsiteStorages storages, BackupKeyring keys, DatabaseStore databases, BackupVerifier verifier, Store store, OffsiteOptions options, DatabasesOptions dataOptions,
    TimeProvider clock, ILogger<StorageVerifier> logger)
    : BackgroundService
{
    public const string Verified = "offsite.verified";
    public const string VerifyFailed = "offsite.verify-failed";
    public const string VerifyEmpty = "offsite.verify-empty";

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The last run's failure, or null when it passed (or none ran).</summary>
    public VerifyFailure? LastFailure { get; private set; }

    public override void Dispose()
    {
        base.Dispose();
        _gate.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var storage = storages.Default();
                var last = store.LastEventAt(Verified, VerifyFailed, VerifyEmpty);
                if (storage is null || RestoreMark.IsPending(dataOptions.DataDir) || (last is { } at && clock.GetUtcNow() - at < options.VerifyInterval))
                {
                    continue;
                }
                try
                {
                    await VerifyAsync(stoppingToken);
                }
                catch (Exception e) when (OffsiteHealth.IsOperational(e))
                {
                    // The store or a database server did not answer (a stalled connection ends in a TimeoutException): no
                    // run was recorded, so the next tick tries again.
                    LogFailed(logger, e.Message);
                }
#pragma warning disable CA1031 // a bug in one run must not stop the platform: logged with its stack trace, tried again at the next tick
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogBug(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task<IReadOnlyList<VerifiedCopy>> VerifyAsync(CancellationToken token)
    {
        var storage = storages.Default()
            ?? throw new UserException("No off-site store: add one first (printf '%s\\n%s\\n' KEY SECRET | slipway storage add offsite --endpoint URL --bucket B).");
        await _gate.WaitAsync(token);
        try
        {
            var results = new List<VerifiedCopy>();
            var failedDatabases = new List<FailedCopy>();
            var noBackup = new List<string>();
            using var bucket = new S3Bucket(storages.Settings(storage));
            var there = (await bucket.ListAsync("databases/", token)).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var db in databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres))
            {
                var verified = databases.ListBackupsOf(db.Id).Where(b => b.Status == BackupStatus.Verified && b.Location is not null).ToList();
                var backup = verified.FirstOrDefault(b => there.Contains(OffsiteBackupStorage.RemoteKey(b.Location!)));
                var label = db.App.Length > 0 ? db.App : "(detached)";
                if (backup is null)
                {
                    if (verified.Count > 0)
                    {
                        // Backed up, but not off the machine: a lost machine would lose it.
                        const string Missing = "no backup of it is in the store (its newest is on this machine only; 'slipway storage sync' copies it)";
                        results.Add(new VerifiedCopy(label, db.Name, verified[0].Id, false, Missing, 0));
                        failedDatabases.Add(new FailedCopy(db.App.Length > 0 ? db.App : null, db.Name, verified[0].Id, Missing));
                    }
                    else
                    {
                        noBackup.Add($"{label} db {db.Name}");
                    }
                    continue;
                }
                var started = clock.GetUtcNow();
                var plain = Path.Combine(verifier.ScratchDir, Guid.NewGuid().ToString("N") + ".dump");
                string? problem;
                try
                {
                    await SealedObjects.GetAsync(bucket, OffsiteBackupStorage.RemoteKey(backup.Location!), plain, keys.Find, verifier.ScratchDir, token);
                    problem = await verifier.VerifyFileAsync(backup, db.Server, plain, token);
                }
                catch (UserException e)
                {
                    problem = e.Message;
                }
                finally
                {
                    File.Delete(plain);
                }
                results.Add(new VerifiedCopy(label, db.Name, backup.Id, problem is null, problem, (long)(clock.GetUtcNow() - started).TotalMilliseconds));
                if (problem is not null)
                {
                    failedDatabases.Add(new FailedCopy(db.App.Length > 0 ? db.App : null, db.Name, backup.Id, problem));
                }
            }
            var failed = results.Where(r => !r.Ok).ToList();
            var passed = results.Where(r => r.Ok).Select(r => $"{r.App} db {r.Database}").ToList();
            var notChecked = noBackup.Count == 0 ? "" : $" Not checked, having no verified backup yet: {Names(noBackup)}.";
            if (failed.Count > 0)
            {
                var reason = string.Join("; ", failed.Select(f => $"{f.App} db {f.Database} backup {f.BackupId}: {f.Problem}"));
                LastFailure = new VerifyFailure(storage.Name, reason, clock.GetUtcNow(), failedDatabases);
                store.AddEvent(null, null, VerifyFailed, $"Off-site backups in store {storage.Name} did not restore: {reason}." +
                    (passed.Count > 0 ? $" Restored and matched: {Names(passed)}." : "") + notChecked);
            }
            else if (passed.Count == 0)
            {
                // Nothing was read back, so nothing is known to restore: not a pass (nor a failure to alert on).
                LastFailure = null;
                store.AddEvent(null, null, VerifyEmpty, $"Nothing in store {storage.Name} was verified: " +
                    (noBackup.Count == 0 ? "there is no postgres database." : $"no database has a verified backup yet ({Names(noBackup)})."));
            }
            else
            {
                LastFailure = null;
                store.AddEvent(null, null, Verified,
                    $"The newest off-site backup of each of {passed.Count} database(s) in store {storage.Name} was read back, restored into scratch and its row counts matched: " +
                    $"{Names(passed)}.{notChecked}");
            }
            return results;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>At most ten names, then how many more.</summary>
    private static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Verifying the off-site backups failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Verifying the off-site backups failed with an internal error; tried again at the next tick")]
    private static partial void LogBug(ILogger logger, Exception exception);
}

/// <summary>One database's newest off-site backup, read back and restored.</summary>
internal sealed record VerifiedCopy(string App, string Database, string BackupId, bool Ok, string? Problem, long Milliseconds);

/// <summary>A `storage verify` that failed, and the databases it failed for.</summary>
internal sealed record VerifyFailure(string Storage, string Reason, DateTimeOffset At, IReadOnlyList<FailedCopy> Databases);

/// <summary>A database whose off-site copy did not restore (or is not in the store).</summary>
/// <param name="App">Its environment's row key; null for a detached database.</param>
internal sealed record FailedCopy(string? App, string Database, string BackupId, string Problem);
