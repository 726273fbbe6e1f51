using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>`slipway storage verify`, and weekly on its own: for each database, its newest verified backup is read back
/// from a store (never the local copy), opened with the backup key, checksummed, restored into a scratch database and its
/// row counts compared with the dump's. A database's backups are looked for in its own store (its database's, else the
/// platform-wide one), then in the platform-wide one, then in any store recorded as holding one (a copy made before its
/// database's store was added stays where it went); the newest copy found is checked, and one not in its own store is
/// said. Each store is listed once; a store that cannot be listed fails the databases whose own store it is, not the run,
/// so the other databases are still checked and the run is recorded (the weekly run does not try again every tick).
/// A failure is a "offsite.verify-failed" event, the "offsite" alert and the "backup" alert of each database concerned
/// (<see cref="OffsiteAlertSource"/>) until a later run passes. A run passes ("offsite.verified") only when it restored
/// something; the event says which databases it checked and which it could not (no verified backup yet). A run with
/// nothing to check is "offsite.verify-empty", never a pass.</summary>
internal sealed partial class StorageVerifier(
    OffsiteStorages storages, ShippedObjects shipped, LocalBackupStorage local, BackupKeyring keys, DatabaseStore databases, BackupVerifier verifier, Store store,
    OffsiteOptions options, DatabasesOptions dataOptions, TimeProvider clock, ILogger<StorageVerifier> logger)
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
        // Each store listed once, at its first use: what it holds under databases/, or why it could not be listed.
        var opened = new Dictionary<string, Listing>(StringComparer.Ordinal);
        var buckets = new List<S3Bucket>();
        async Task<Listing> ListAsync(OffsiteStorage storage)
        {
            if (!opened.TryGetValue(storage.Name, out var listing))
            {
                S3Bucket? bucket = null;
                try
                {
                    bucket = new S3Bucket(storages.Settings(storage));
                    buckets.Add(bucket);
                    listing = new Listing(storage, bucket, (await bucket.ListAsync("databases/", token)).Select(o => o.Key).ToHashSet(StringComparer.Ordinal), null);
                }
                catch (Exception e) when (OffsiteHealth.IsOperational(e) && !token.IsCancellationRequested)
                {
                    // Its keys gone with it (removed meanwhile) or unreadable, or the store itself: its databases fail.
                    listing = new Listing(storage, bucket, [], e.Message.Split('\n')[0]);
                }
                opened[storage.Name] = listing;
            }
            return listing;
        }
        try
        {
            var results = new List<VerifiedCopy>();
            var failedDatabases = new List<FailedCopy>();
            var noBackup = new List<string>();
            var noStore = new List<string>();
            foreach (var db in databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres))
            {
                var label = db.App.Length > 0 ? db.App : "(detached)";
                var app = db.App.Length > 0 ? db.App : null;
                var verified = databases.ListBackupsOf(db.Id).Where(b => b.Status == BackupStatus.Verified && b.Location is not null).ToList();
                if (verified.Count == 0)
                {
                    noBackup.Add($"{label} db {db.Name}");
                    continue;
                }
                // Where its backups' keys route them (a database detached since keeps its keys, and so its store).
                if (OffsiteStorages.Choose(stores, OffsiteStorages.ScopeOfKey(verified[0].Location!)) is not { } own)
                {
                    // No platform-wide store, nor one of its own: its backups stay here, as asked.
                    noStore.Add($"{label} db {db.Name}");
                    continue;
                }
                void Fail(BackupRecord backup, OffsiteStorage storage, string problem, long milliseconds = 0, string? note = null)
                {
                    results.Add(new VerifiedCopy(label, db.Name, backup.Id, false, problem, milliseconds, storage.Name, note));
                    failedDatabases.Add(new FailedCopy(app, db.Name, backup.Id, problem, storage.Name, storage.Scope));
                }
                var ownListing = await ListAsync(own);
                if (ownListing.Problem is { } unlisted)
                {
                    Fail(verified[0], own, $"store {own.Name} could not be listed: {unlisted}");
                    continue;
                }
                var (backup, found, unreadable) = await FindAsync(verified, ownListing, stores, ListAsync);
                if (backup is null || found is null)
                {
                    var newest = verified[0];
                    var command = app is null ? "attach it (slipway db attach) and take a new backup"
                        : $"take a new backup: slipway db backup {new AppRef(db.BaseApp, db.Env.Length > 0 ? db.Env : AppRef.Production).Flags} --name {db.Name}";
                    Fail(newest, own, NotInStore(own.Name, newest.Id, File.Exists(local.PathOf(newest.Location!)), unreadable, command));
                    continue;
                }
                var note = found.Storage.Name == own.Name ? null
                    : $"in store {found.Storage.Name}; its own store {own.Name} holds " +
                      (verified.Any(b => ownListing.Keys.Contains(OffsiteBackupStorage.RemoteKey(b.Location!))) ? "only older ones" : "none yet");
                var started = clock.GetUtcNow();
                var plain = Path.Combine(verifier.ScratchDir, Guid.NewGuid().ToString("N") + ".dump");
                string? problem;
                try
                {
                    await SealedObjects.GetAsync(found.Bucket!, OffsiteBackupStorage.RemoteKey(backup.Location!), plain, keys.Find, verifier.ScratchDir, token);
                    problem = await verifier.VerifyFileAsync(backup, db.Server, plain, token);
                }
                catch (Exception e) when (OffsiteHealth.IsOperational(e) && !token.IsCancellationRequested)
                {
                    // The store or the database server failing is this database's failure, not the run's: the run is recorded.
                    problem = e.Message;
                }
                finally
                {
                    File.Delete(plain);
                }
                var milliseconds = (long)(clock.GetUtcNow() - started).TotalMilliseconds;
                if (problem is not null)
                {
                    Fail(backup, found.Storage, problem, milliseconds, note);
                }
                else
                {
                    results.Add(new VerifiedCopy(label, db.Name, backup.Id, true, null, milliseconds, found.Storage.Name, note));
                }
            }
            var failed = results.Where(r => !r.Ok).ToList();
            var passed = results.Where(r => r.Ok).Select(r => $"{r.App} db {r.Database}" + (r.Note is { } n ? $" ({n})" : "")).ToList();
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
            foreach (var bucket in buckets)
            {
                bucket.Dispose();
            }
            _gate.Release();
        }
    }

    /// <summary>The newest of <paramref name="verified"/> (newest first) that a store holds, and that store: for each
    /// backup its own store first, then the platform-wide one, then any store recorded as holding it. A store that
    /// cannot be listed is passed over; the first such is returned, to say why nothing was found.</summary>
    private async Task<(BackupRecord? Backup, Listing? Found, string? Unreadable)> FindAsync(IReadOnlyList<BackupRecord> verified, Listing own,
        IReadOnlyList<OffsiteStorage> stores, Func<OffsiteStorage, Task<Listing>> list)
    {
        string? unreadable = null;
        foreach (var backup in verified)
        {
            var key = OffsiteBackupStorage.RemoteKey(backup.Location!);
            if (own.Keys.Contains(key))
            {
                return (backup, own, null);
            }
            var holders = shipped.Holders(key);
            var wide = stores.FirstOrDefault(s => s.Scope is null);
            foreach (var other in stores.Where(s => s == wide).Concat(stores.Where(s => s != wide && holders.Contains(s.Name))).Where(s => s.Name != own.Storage.Name))
            {
                var listing = await list(other);
                if (listing.Problem is not null)
                {
                    unreadable ??= $"store {other.Name} could not be listed: {listing.Problem}";
                }
                else if (listing.Keys.Contains(key))
                {
                    return (backup, listing, null);
                }
            }
        }
        return (null, null, unreadable);
    }

    /// <summary>Why no store holds a copy of a database's backups, and what to do: the newest is here only (a sync copies
    /// it), or a store that might hold one could not be listed, or it is nowhere this platform knows (its store was
    /// removed) and only a new backup helps.</summary>
    internal static string NotInStore(string own, string newestId, bool newestHere, string? unreadable, string newBackup) =>
        unreadable is not null ? $"no backup of it is in store {own}, and {unreadable}"
        : newestHere ? $"no backup of it is in store {own}: its newest, {newestId}, is on this machine only; 'slipway storage sync' copies it"
        : $"no backup of it is in store {own}, nor in any other store this platform knows, nor on this machine (the store that held it was removed); " +
          newBackup;

    /// <summary>A store as one run listed it; <see cref="Problem"/> says why it could not be.</summary>
    private sealed record Listing(OffsiteStorage Storage, S3Bucket? Bucket, HashSet<string> Keys, string? Problem);

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
/// <param name="Note">Where it was found, when that is not its own store ("in store wide; its own store mine holds none yet").</param>
internal sealed record VerifiedCopy(string App, string Database, string BackupId, bool Ok, string? Problem, long Milliseconds, string Storage, string? Note = null);

/// <summary>A `storage verify` that failed, and the databases it failed for.</summary>
/// <param name="Storage">The store (or stores, comma-separated) whose copies failed.</param>
internal sealed record VerifyFailure(string Storage, string Reason, DateTimeOffset At, IReadOnlyList<FailedCopy> Databases);

/// <summary>A database whose off-site copy did not restore (or is not in the store).</summary>
/// <param name="App">Its environment's row key; null for a detached database.</param>
/// <param name="Storage">The store its copy was read from, or its own store when none was found there.</param>
/// <param name="Scope">That store's scope ("ROW/DB"); null for the platform-wide store.</param>
internal sealed record FailedCopy(string? App, string Database, string BackupId, string Problem, string Storage, string? Scope);
