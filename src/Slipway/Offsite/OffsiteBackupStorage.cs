using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Backups on this machine and, once a store is added (`slipway storage add`), off it too:
///
///   put:    local file ─► sealed (BackupCipher, backup key) ─► bucket: databases/KEY.sealed ─► read back, SHA-256
///           compared ─► (keepLocal: false) the local file goes, only now
///   fetch:  the local file, if kept; else the object ─► opened with the backup key ─► a scratch file
///
/// So a backup a store holds is "verified" only after the copy read back from it restored (the verifier fetches what
/// it checks). Without a store, this is the local storage alone.</summary>
internal sealed class OffsiteBackupStorage(LocalBackupStorage local, OffsiteStorages storages, BackupKeyring keys) : IBackupStorage
{
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
        var path = local.PathOf(key);
        using (var bucket = new S3Bucket(storages.Settings(storage)))
        {
            await SealedObjects.PutAsync(bucket, RemoteKey(key), path, keys.Current, Path.GetDirectoryName(path)!, token);
        }
        if (!storage.KeepLocal)
        {
            // Only now: the copy off the machine was read back and matched.
            File.Delete(path);
        }
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
        await local.DeleteAsync(key, token);
        if (storages.Default() is { } storage)
        {
            using var bucket = new S3Bucket(storages.Settings(storage));
            await bucket.DeleteAsync(RemoteKey(key), token);
        }
    }

    /// <summary>Where a backup's sealed copy lives in the store (under its prefix).</summary>
    public static string RemoteKey(string key) => $"databases/{key}.sealed";
}
