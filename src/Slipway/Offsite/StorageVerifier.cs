using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>`slipway storage verify`, and weekly on its own: for each database, its newest verified backup is read back
/// from its store (its own when it has one, else the platform-wide one; never the local copy), opened with the backup
/// key, checksummed, restored into a scratch database and its row counts compared with the dump's. A failure is a "offsite.verify-failed" event, the "offsite" alert and the
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
                var last = store.LastEventAt(Verified, VerifyFailed, VerifyEmpty);
                if (storages.List().Count == 0 || RestoreMark.IsPending(dataOptions.DataDir) || (last is { } at && clock.GetUtcNow() - at < options.VerifyInterval))
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
        var stores = storages.List();
        if (stores.Count == 0)
        {
            throw new UserException("No off-site store: add one first (printf '%s\\n%s\\n' KEY SECRET | slipway storage add offsite --endpoint URL --bucket B).");
        }
        await _gate.WaitAsync(token);
        // Each database is looked for in its own store (its database's, else the platform-wide one), each store listed once.
        var opened = new Dictionary<string, (S3Bucket Bucket, HashSet<string> There)>(StringComparer.Ordinal);
        try
        {
            var results = new List<VerifiedCopy>();
            var failedDatabases = new List<FailedCopy>();
            var noBackup = new List<string>();
            var noStore = new List<string>();
            foreach (var db in databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres))
            {
                var label = db.App.Length > 0 ? db.App : "(detached)";
                var verified = databases.ListBackupsOf(db.Id).Where(b => b.Status == BackupStatus.Verified && b.Location is not null).ToList();
                // Where its backups' keys route them (a database detached since keeps its keys, and so its store).
                var scope = verified.Count > 0 ? OffsiteStorages.ScopeOfKey(verified[0].Location!) : OffsiteStorages.ScopeOf(db.App, db.Name);
                if (OffsiteStorages.Choose(stores, scope) is not { } storage)
                {
                    // No platform-wide store, nor one of its own: its backups stay here, as asked.
                    noStore.Add($"{label} db {db.Name}");
                    continue;
                }
                if (!opened.TryGetValue(storage.Name, out var listed))
                {
                    var bucket = new S3Bucket(storages.Settings(storage));
                    listed = (bucket, new HashSet<string>(StringComparer.Ordinal));
                    opened[storage.Name] = listed;
                    listed.There.UnionWith((await bucket.ListAsync("databases/", token)).Select(o => o.Key));
                }
                var backup = verified.FirstOrDefault(b => listed.There.Contains(OffsiteBackupStorage.RemoteKey(b.Location!)));
                if (backup is null)
                {
                    if (verified.Count > 0)
                    {
                        // Backed up, but not off the machine: a lost machine would lose it.
                        var missing = $"no backup of it is in store {storage.Name} (its newest is on this machine only; 'slipway storage sync' copies it)";
                        results.Add(new VerifiedCopy(label, db.Name, verified[0].Id, false, missing, 0, storage.Name));
                        failedDatabases.Add(new FailedCopy(db.App.Length > 0 ? db.App : null, db.Name, verified[0].Id, missing));
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
                    await SealedObjects.GetAsync(listed.Bucket, OffsiteBackupStorage.RemoteKey(backup.Location!), plain, keys.Find, verifier.ScratchDir, token);
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
                results.Add(new VerifiedCopy(label, db.Name, backup.Id, problem is null, problem, (long)(clock.GetUtcNow() - started).TotalMilliseconds, storage.Name));
                if (problem is not null)
                {
                    failedDatabases.Add(new FailedCopy(db.App.Length > 0 ? db.App : null, db.Name, backup.Id, problem));
                }
            }
            var failed = results.Where(r => !r.Ok).ToList();
            var passed = results.Where(r => r.Ok).Select(r => $"{r.App} db {r.Database}").ToList();
            var notChecked = (noBackup.Count == 0 ? "" : $" Not checked, having no verified backup yet: {Names(noBackup)}.") +
                (noStore.Count == 0 ? "" : $" Not checked, no store taking their backups: {Names(noStore)}.");
            // The stores read from; with none (no database to check), the one a run would read from first.
            var where = Stores(opened.Count > 0 ? opened.Keys.ToList() : [(storages.Default() ?? stores[0]).Name]);
            if (failed.Count > 0)
            {
                var reason = string.Join("; ", failed.Select(f => $"{f.App} db {f.Database} backup {f.BackupId}: {f.Problem}"));
                LastFailure = new VerifyFailure(string.Join(", ", failed.Select(f => f.Storage).Distinct()), reason, clock.GetUtcNow(), failedDatabases);
                store.AddEvent(null, null, VerifyFailed, $"Off-site backups in {where} did not restore: {reason}." +
                    (passed.Count > 0 ? $" Restored and matched: {Names(passed)}." : "") + notChecked);
            }
            else if (passed.Count == 0)
            {
                // Nothing was read back, so nothing is known to restore: not a pass (nor a failure to alert on).
                LastFailure = null;
                store.AddEvent(null, null, VerifyEmpty, $"Nothing in {where} was verified: " +
                    (noBackup.Count == 0 ? "there is no postgres database." : $"no database has a verified backup yet ({Names(noBackup)})."));
            }
            else
            {
                LastFailure = null;
                store.AddEvent(null, null, Verified,
                    $"The newest off-site backup of each of {passed.Count} database(s) in {where} was read back, restored into scratch and its row counts matched: " +
                    $"{Names(passed)}.{notChecked}");
            }
            return results;
        }
        finally
        {
            foreach (var (bucket, _) in opened.Values)
            {
                bucket.Dispose();
            }
            _gate.Release();
        }
    }

    /// <summary>"store offsite", or "stores offsite, vault" when databases have stores of their own.</summary>
    private static string Stores(IReadOnlyList<string> names) =>
        names.Count == 1 ? $"store {names[0]}" : $"stores {string.Join(", ", names)}";

    /// <summary>At most ten names, then how many more.</summary>
    private static string Names(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(10)) + (names.Count > 10 ? $" and {names.Count - 10} more" : "");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Verifying the off-site backups failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Verifying the off-site backups failed with an internal error; tried again at the next tick")]
    private static partial void LogBug(ILogger logger, Exception exception);
}

/// <summary>One database's newest off-site backup, read back from <paramref name="Storage"/> and restored.</summary>
internal sealed record VerifiedCopy(string App, string Database, string BackupId, bool Ok, string? Problem, long Milliseconds, string Storage);

/// <summary>A `storage verify` that failed, and the databases it failed for.</summary>
/// <param name="Storage">The store (or stores, comma-separated) whose copies failed.</param>
internal sealed record VerifyFailure(string Storage, string Reason, DateTimeOffset At, IReadOnlyList<FailedCopy> Databases);

/// <summary>A database whose off-site copy did not restore (or is not in the store).</summary>
/// <param name="App">Its environment's row key; null for a detached database.</param>
internal sealed record FailedCopy(string? App, string Database, string BackupId, string Problem);
