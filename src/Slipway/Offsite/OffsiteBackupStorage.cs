using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Backups on this machine and, once a store is added (`slipway storage add`), off it too:
///
///   put:    local file ─► sealed (BackupCipher, backup key) ─► bucket: databases/KEY.sealed ─► read back, SHA-256
///           compared ─► recorded as shipped ─► (keepLocal: false) the local file goes, only now
///   fetch:  the local file, if kept; else the object ─► opened with the backup key ─► a scratch file
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

    public string Description => storages.Default() is { } s
        ? $"{(s.KeepLocal ? local.Description + " and " : "")}off-site store {s.Name} (bucket {s.Bucket} at {s.Endpoint})"
        : local.Description;

    public async Task PutAsync(string key, string localFile, CancellationToken token)
    {
        await local.PutAsync(key, localFile, token);
        if (storages.Default() is not { } storage)
        {
            return;
        }
        try
        {
            using var bucket = new S3Bucket(storages.Settings(storage));
            // A copy that works does not end a failing spell: the shipper's lanes do, once both work (one good upload
            // says nothing of the WAL lane's trouble).
            await CopyAsync(bucket, storage, key, token);
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e) && !token.IsCancellationRequested)
        {
            // Kept here; the shipper copies it once the store answers.
            health.Failed(storage.Name, e);
        }
    }

    public Task PutHereAsync(string key, string localFile, CancellationToken token) => local.PutAsync(key, localFile, token);

    /// <summary>Copies every verified backup the store does not hold yet (taken while it could not be reached, or before
    /// it was added) whose local file is here; returns how many.</summary>
    public async Task<int> ShipPendingAsync(S3Bucket bucket, OffsiteStorage storage, IEnumerable<Databases.BackupRecord> verified, CancellationToken token)
    {
        var done = shipped.Keys(storage.Name, "databases/");
        var count = 0;
        foreach (var backup in verified)
        {
            if (!done.Contains(RemoteKey(backup.Location!)) && File.Exists(local.PathOf(backup.Location!)) &&
                await CopyAsync(bucket, storage, backup.Location!, token))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The verified backups whose only copy is in <paramref name="storage"/> (taken with no local copy kept).</summary>
    public int OnlyIn(string storage, IEnumerable<Databases.BackupRecord> verified)
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
        if (File.Exists(local.PathOf(key)) || storages.Default() is not { } storage)
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
        if (storages.Default() is { } storage)
        {
            using var bucket = new S3Bucket(storages.Settings(storage));
            await bucket.DeleteAsync(RemoteKey(key), token);
            shipped.Forget(storage.Name, [RemoteKey(key)]);
        }
    }

    /// <summary>Where a backup's sealed copy lives in the store (under its prefix).</summary>
    public static string RemoteKey(string key) => $"databases/{key}.sealed";
}
