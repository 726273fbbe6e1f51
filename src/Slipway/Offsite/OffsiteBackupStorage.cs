using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Backups on this machine and, once a store is added (`slipway storage add`), off it too:
///
///   put:    local file ─► sealed (BackupCipher, backup key) ─► bucket: databases/KEY.sealed ─► read back, SHA-256
///           compared ─► recorded as shipped ─► (keepLocal: false) the local file goes, only now
///   fetch:  the local file, if kept; else the object ─► opened with the backup key ─► a scratch file
///
/// Each backup goes to its database's own store when it has one (a store added with --app), else to the platform-wide
/// one (<see cref="OffsiteStorages.For"/>: the key's first two segments are the database's scope). A fetch reads from the
/// store that holds the copy (one taken before its database's store was added is in the platform-wide one); a delete
/// removes the copy from each store that holds it.
///
/// A store that cannot be reached does not fail the backup: it is kept here, the failure is reported (OffsiteHealth: an
/// event and the "offsite" alert), and the shipper copies it at a later round (<see cref="ShipPendingAsync"/>), as it
/// does every backup taken before the store was added. So a backup a store holds is "verified" only after the copy read
/// back from it restored (the verifier fetches what it checks) or, when it was copied later, after it verified here. A
/// backup stored "here" (<see cref="PutHereAsync"/>: a safety backup taken while its app is shut out) goes the second way.
///
/// A copy and a delete of the same backup take turns (retention may delete a backup while the shipper copies it): a delete
/// waits for the copy and then removes both the file and the object; a copy that finds the file gone copies nothing.</summary>
internal sealed class OffsiteBackupStorage(LocalBackupStorage local, OffsiteStorages storages, BackupKeyring keys, ShippedObjects shipped, OffsiteHealth health)
    : IBackupStorage
{
    private readonly KeyedTurns<string> _turns = new();
    private readonly StoreUses _uses = new();

    public string Describe(string key) => storages.For(key) is { } s
        ? $"{(s.KeepLocal ? local.Description + " and " : "")}off-site store {s.Name} (bucket {s.Bucket} at {s.Endpoint})"
        : local.Description;

    public async Task PutAsync(string key, string localFile, CancellationToken token)
    {
        await local.PutAsync(key, localFile, token);
        if (storages.For(key) is not { } storage || TryUse(storage, token) is not { } use)
        {
            // No store, or it is being removed: kept here (the shipper copies it if the store stays).
            return;
        }
        using var _ = use;
        try
        {
            using var bucket = new S3Bucket(storages.Settings(storage));
            await CopyAsync(bucket, storage, key, use.Token);
            // A copy to the platform-wide store that works does not end its failing spell: the shipper's lanes do, once
            // both work (one good upload says nothing of the WAL lane's trouble). A database's own store takes nothing else.
            if (storage.Scope is not null)
            {
                health.Worked(storage.Name);
            }
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e) && !token.IsCancellationRequested)
        {
            // Kept here; the shipper copies it once the store answers.
            health.Failed(storage.Name, e);
        }
        catch (OperationCanceledException) when (use.Closed)
        {
            // The store is being removed: kept here, recorded nowhere else.
        }
    }

    public Task PutHereAsync(string key, string localFile, CancellationToken token) => local.PutAsync(key, localFile, token);

    /// <summary>Copies every verified backup its store does not hold yet (taken while the store could not be reached, or
    /// before it was added) whose local file is here, each to its own store; returns how many. The databases' own stores
    /// go first, and a failure there is theirs (reported, tried again next round); the platform-wide store's failure
    /// ends the call, so the bulk lane that called it reports it.</summary>
    public Task<int> ShipPendingAsync(IEnumerable<BackupRecord> verified, CancellationToken token) => ShipPendingAsync(verified, PendingTo.Every, token);

    /// <summary><see cref="ShipPendingAsync(IEnumerable{BackupRecord}, CancellationToken)"/> for the stores <paramref name="to"/>
    /// names. A database's own store that failed and has nothing pending is probed, so its spell ends once it answers
    /// (its backups may have been pruned before it came back).</summary>
    public async Task<int> ShipPendingAsync(IEnumerable<BackupRecord> verified, PendingTo to, CancellationToken token)
    {
        var stores = storages.List();
        var wanted = stores.Where(s => to == PendingTo.Every || (to == PendingTo.DatabaseStores) == (s.Scope is not null)).ToList();
        var byStore = verified.Where(b => b.Location is not null)
            .GroupBy(b => OffsiteStorages.Choose(stores, OffsiteStorages.ScopeOfKey(b.Location!))?.Name)
            .Where(g => g.Key is not null)
            .ToDictionary(g => g.Key!, g => g.ToList(), StringComparer.Ordinal);
        var failing = health.Failing.Select(f => f.Storage).ToHashSet(StringComparer.Ordinal);
        var count = 0;
        foreach (var storage in wanted.OrderBy(s => s.Scope is null))
        {
            var done = shipped.Keys(storage.Name, "databases/");
            var pending = byStore.GetValueOrDefault(storage.Name, [])
                .Where(b => !done.Contains(RemoteKey(b.Location!)) && File.Exists(local.PathOf(b.Location!))).ToList();
            if (pending.Count == 0 && !(storage.Scope is not null && failing.Contains(storage.Name)))
            {
                continue;
            }
            try
            {
                var (copied, whole) = await CopyPendingAsync(storage, pending, token);
                count += copied;
                if (whole && storage.Scope is not null)
                {
                    health.Worked(storage.Name);
                }
            }
            catch (Exception e) when (storage.Scope is not null && OffsiteHealth.IsOperational(e) && !token.IsCancellationRequested)
            {
                health.Failed(storage.Name, e);
            }
        }
        return count;
    }

    /// <summary>Copies <paramref name="pending"/> to <paramref name="storage"/>; with none, checks that it answers. Whole:
    /// false when the store went away under it (removed by `storage rm`), which says nothing of whether it works.</summary>
    private async Task<(int Copied, bool Whole)> CopyPendingAsync(OffsiteStorage storage, List<BackupRecord> pending, CancellationToken token)
    {
        if (TryUse(storage, token) is not { } use)
        {
            return (0, false);
        }
        using var _ = use;
        using var bucket = new S3Bucket(storages.Settings(storage));
        var count = 0;
        try
        {
            if (pending.Count == 0)
            {
                await bucket.ProbeAsync(use.Token);
            }
            foreach (var backup in pending)
            {
                if (await CopyAsync(bucket, storage, backup.Location!, use.Token))
                {
                    count++;
                }
            }
        }
        catch (OperationCanceledException) when (use.Closed)
        {
            // The store is being removed: the rest stays here.
            return (count, false);
        }
        return (count, true);
    }

    /// <summary>A copy to <paramref name="storage"/> under way until disposed, or null while `storage rm` removes it (copy
    /// nothing then: what would be copied stays here).</summary>
    public StoreUses.StoreUse? TryUse(OffsiteStorage storage, CancellationToken token)
    {
        if (_uses.TryEnter(storage.Name, token) is not { } use)
        {
            return null;
        }
        // Read before the use began: removed since (or removed and added again under its name, another bucket perhaps),
        // nothing may go to it or be recorded under it. Once entered, rm waits for this use, so the row stays as read.
        if (!storages.List().Contains(storage))
        {
            use.Dispose();
            return null;
        }
        return use;
    }

    /// <summary>Removes a store once no copy to it is under way (new ones shut out, those in flight cancelled: see
    /// <see cref="StoreUses"/>), so <paramref name="check"/> (may it go?) and the removal see the same shipped rows and
    /// local files.</summary>
    public async Task RemoveStoreAsync(string storage, Action check, CancellationToken token)
    {
        // Once before closing too: a refused rm must not cancel (and so restart) the uploads in flight.
        check();
        using (await _uses.CloseAsync(storage, token))
        {
            check();
            storages.Remove(storage);
            health.Forget(storage);
        }
    }

    /// <summary>The verified backups whose only copy is in <paramref name="storage"/> (taken with no local copy kept).</summary>
    public int OnlyIn(string storage, IEnumerable<BackupRecord> verified)
    {
        var there = shipped.Keys(storage, "databases/");
        return verified.Count(b => there.Contains(RemoteKey(b.Location!)) && !File.Exists(local.PathOf(b.Location!)));
    }

    /// <summary>False when the backup's file is gone (retention deleted it before this copy's turn): nothing is copied, so
    /// nothing lands in the store that no record names.</summary>
    private async Task<bool> CopyAsync(S3Bucket bucket, OffsiteStorage storage, string key, CancellationToken token)
    {
        using var turn = await _turns.TakeAsync(key, token);
        var path = local.PathOf(key);
        if (!File.Exists(path))
        {
            return false;
        }
        var size = new FileInfo(path).Length;
        await SealedObjects.PutAsync(bucket, RemoteKey(key), path, keys.Current, Path.GetDirectoryName(path)!, token);
        shipped.Add(storage.Name, RemoteKey(key), size);
        if (!storage.KeepLocal)
        {
            // Only now: the copy off the machine was read back and matched.
            File.Delete(path);
        }
        return true;
    }

    public async Task<FetchedBackup> FetchAsync(string key, string scratchDir, CancellationToken token)
    {
        if (File.Exists(local.PathOf(key)) || Holder(key) is not { } storage)
        {
            return await local.FetchAsync(key, scratchDir, token);
        }
        var plain = Path.Combine(scratchDir, Guid.NewGuid().ToString("N") + Path.GetExtension(key));
        using (var bucket = new S3Bucket(storages.Settings(storage)))
        {
            await SealedObjects.GetAsync(bucket, RemoteKey(key), plain, keys.Find, scratchDir, token);
        }
        return new FetchedBackup(plain, Temporary: true);
    }

    public async Task DeleteAsync(string key, CancellationToken token)
    {
        // After a copy under way: its object is in the store by then, and goes with the file.
        using var turn = await _turns.TakeAsync(key, token);
        await local.DeleteAsync(key, token);
        var holders = shipped.Holders(RemoteKey(key));
        var target = storages.For(key);
        // Its store's, whether or not recorded (a copy cut off before its record), and any other store's that holds it.
        foreach (var storage in storages.List().Where(s => s.Name == target?.Name || holders.Contains(s.Name)))
        {
            try
            {
                using var bucket = new S3Bucket(storages.Settings(storage));
                await bucket.DeleteAsync(RemoteKey(key), token);
                shipped.Forget(storage.Name, [RemoteKey(key)]);
            }
            catch (Exception e) when (!holders.Contains(storage.Name) && OffsiteHealth.IsOperational(e) && !token.IsCancellationRequested)
            {
                // Its own store, which never recorded a copy (one taken before it was added lives elsewhere): the
                // delete there only catches a copy cut off before its record, and must not keep the backup from going
                // while that store cannot be reached.
            }
        }
    }

    /// <summary>The store to read the backup under <paramref name="key"/> from: its own store when that holds it, else
    /// another that does (a copy made before its database's store was added), else its own.</summary>
    private OffsiteStorage? Holder(string key)
    {
        var stores = storages.List();
        var own = OffsiteStorages.Choose(stores, OffsiteStorages.ScopeOfKey(key));
        var holders = shipped.Holders(RemoteKey(key));
        return own is not null && holders.Contains(own.Name) ? own : stores.FirstOrDefault(s => holders.Contains(s.Name)) ?? own;
    }

    /// <summary>Where a backup's sealed copy lives in the store (under its prefix).</summary>
    public static string RemoteKey(string key) => $"databases/{key}.sealed";
}

/// <summary>Which stores <see cref="OffsiteBackupStorage.ShipPendingAsync(IEnumerable{BackupRecord}, PendingTo, CancellationToken)"/> copies to.</summary>
internal enum PendingTo
{
    Every,
    DatabaseStores,
    PlatformWide,
}
