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
        var sealedFile = path + ".sealed.tmp";
        try
        {
            await using (var input = File.OpenRead(path))
            await using (var output = new FileStream(sealedFile, FileMode.Create, FileAccess.Write))
            {
                await BackupCipher.EncryptAsync(input, output, keys.Current, token);
            }
            using var bucket = new S3Bucket(storages.Settings(storage));
            await bucket.PutAsync(RemoteKey(key), sealedFile, token);
        }
        finally
        {
            File.Delete(sealedFile);
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
        Directory.CreateDirectory(scratchDir);
        var name = Guid.NewGuid().ToString("N");
        var sealedFile = Path.Combine(scratchDir, name + ".sealed");
        var plain = Path.Combine(scratchDir, name + Path.GetExtension(key));
        try
        {
            using (var bucket = new S3Bucket(storages.Settings(storage)))
            {
                await bucket.GetAsync(RemoteKey(key), sealedFile, token);
            }
            await using (var input = File.OpenRead(sealedFile))
            await using (var output = new FileStream(plain, FileMode.CreateNew, FileAccess.Write))
            {
                await BackupCipher.DecryptAsync(input, output, keys.Find, token);
            }
            return new FetchedBackup(plain, Temporary: true);
        }
        catch (BackupCipherException e)
        {
            File.Delete(plain);
            throw new UserException($"The off-site copy of {key} in store {storage.Name} cannot be read: {e.Message}.");
        }
        catch
        {
            File.Delete(plain);
            throw;
        }
        finally
        {
            File.Delete(sealedFile);
        }
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
