using System.Formats.Tar;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Slipway.Offsite;

/// <summary>`slipway restore-platform`, on a new machine, before any platform runs there: the newest complete platform
/// snapshot in the store comes back into an empty data directory, and the first start finishes the job
/// (<see cref="RestoredPlatform"/>: databases from their newest verified backups, apps deployed again).
///
///   manifest.json ─► staged in DATA/.restoring: state.db (its store's keys replaced by the ones given: the lost
///   machine's may well be revoked), master.key (checked against the manifest), backup.key, certs, each live build's
///   source ─► renamed into DATA, restore-pending.json last ─► .restoring removed
///
/// Every object is opened with the backup key given; a wrong key, an empty store or a data directory in use is said
/// before anything is written. A platform refuses to start on a directory that still holds .restoring (a restore killed
/// half-way), so it can never come up half-restored with a fresh master key.</summary>
internal static class PlatformRestore
{
    public const string StagingDir = ".restoring";

    /// <summary>Refuses a data directory that holds anything but what taking its lock made (slipway.lock, slipway.pid).</summary>
    public static void RequireEmpty(string dataDir)
    {
        if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any(e => Path.GetFileName(e) is not ("slipway.lock" or "slipway.pid")))
        {
            throw new UserException($"{dataDir} is not empty: restore-platform rebuilds a platform into a new data directory. " +
                "Give an empty one with --data DIR (or move this one away; never restore over a platform that runs).");
        }
    }

    public static async Task<PlatformManifest> RunAsync(string dataDir, S3Settings settings, BackupKey key, DateTimeOffset? at, Action<string> progress,
        CancellationToken token)
    {
        RequireEmpty(dataDir);
        if (Environment.GetEnvironmentVariable(Config.Keyring.EnvironmentVariable) is { Length: > 0 })
        {
            throw new UserException($"${Config.Keyring.EnvironmentVariable} is set: the snapshot brings its own master key (into DATA/master.key). " +
                "Unset it for restore-platform and for the platform that runs on the restored data.");
        }
        using var bucket = new S3Bucket(settings);
        var snapshots = (await bucket.ListAsync(PlatformManifest.Prefix, token))
            .Where(o => o.Key.EndsWith("/manifest.json.sealed", StringComparison.Ordinal))
            .Select(o => o.Key.Split('/')[1]).OrderDescending(StringComparer.Ordinal).ToList();
        if (snapshots.Count == 0)
        {
            throw new UserException($"There is no platform snapshot in the {bucket.Description}. Check --bucket and --prefix: they are the ones " +
                "'slipway storage add' was given on the lost machine ('slipway storage ls' there showed them).");
        }
        var stamp = snapshots[0];
        Directory.CreateDirectory(dataDir);
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Inside the data directory (one file system: the staged files are renamed into place), removed whatever happens.
        var scratch = Path.Combine(dataDir, StagingDir);
        Directory.CreateDirectory(scratch);
        BackupKey? KeyFor(string id) => id == key.Id ? key : null;
        try
        {
            progress($"snapshot {stamp} (of {snapshots.Count}) in the {bucket.Description}");
            var manifestFile = Path.Combine(scratch, "manifest.json");
            await SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(stamp, "manifest.json"), manifestFile, KeyFor, scratch, token);
            var manifest = PlatformManifest.Parse(manifestFile);
            var staged = Path.Combine(scratch, "data");
            Directory.CreateDirectory(staged);

            var masterKey = Path.Combine(scratch, "master.key");
            await GetAsync("master.key", masterKey);
            var keyText = (await File.ReadAllTextAsync(masterKey, token)).Trim();
            File.Delete(masterKey);
            if (KeyId(keyText) != manifest.MasterKeyId)
            {
                throw new UserException($"Snapshot {stamp} holds master key {KeyId(keyText)} but its state is sealed under {manifest.MasterKeyId}: it cannot be " +
                    "opened. Restore an earlier snapshot (its objects are under platform/ in the bucket) or report this.");
            }
            PrivateFile.Write(Path.Combine(staged, "master.key"), stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(keyText + "\n")));
            new BackupKeyring(staged).Import(key);
            await GetAsync("state.db", Path.Combine(staged, "slipway.db"));
            AdoptState(Path.Combine(staged, "slipway.db"), new Config.Keyring(staged), settings);
            if (manifest.Files.Contains("certs.tar"))
            {
                var certs = Path.Combine(scratch, "certs.tar");
                await GetAsync("certs.tar", certs);
                Directory.CreateDirectory(Path.Combine(staged, "certs"));
                await TarFile.ExtractToDirectoryAsync(certs, Path.Combine(staged, "certs"), overwriteFiles: false, token);
                progress("certificates");
            }
            foreach (var source in manifest.Sources)
            {
                var tar = Path.Combine(scratch, source.BuildId + ".tar");
                try
                {
                    await SealedObjects.GetAsync(bucket, source.Key, tar, KeyFor, scratch, token);
                }
                catch (UserException e)
                {
                    // One app's source lost is that app deployed again by hand, not the whole platform unrestorable.
                    progress($"source of {source.App} (build {source.BuildId}) could not be read ({e.Message.Split('\n')[0]}); deploy {source.App} again after the start");
                    continue;
                }
                var dir = Path.Combine(staged, "builds", source.App, source.BuildId + Deploy.BuildDirectories.SourceSuffix);
                Directory.CreateDirectory(dir);
                await TarFile.ExtractToDirectoryAsync(tar, dir, overwriteFiles: false, token);
                File.Delete(tar);
                progress($"source of {source.App} (build {source.BuildId})");
            }
            // A new origin: this machine's snapshots are its own, and say which one it was rebuilt from.
            PlatformOrigin.New(restoredFrom: manifest.Origin?.Id).WriteTo(staged);
            var pending = new RestorePending(stamp, DateTimeOffset.UtcNow, At: at);
            await File.WriteAllBytesAsync(Path.Combine(scratch, RestoreMark.FileName), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(pending, RestoredPlatform.Json), token);

            foreach (var entry in Directory.EnumerateFileSystemEntries(staged))
            {
                var to = Path.Combine(dataDir, Path.GetFileName(entry));
                if (Directory.Exists(entry))
                {
                    Directory.Move(entry, to);
                }
                else
                {
                    File.Move(entry, to);
                }
            }
            File.Move(Path.Combine(scratch, RestoreMark.FileName), RestoreMark.PathIn(dataDir));
            return manifest;

            Task GetAsync(string name, string file)
            {
                progress(name);
                return SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(stamp, name), file, KeyFor, scratch, token);
            }
        }
        catch
        {
            // Nothing half-restored stays: the directory is as empty as it was.
            foreach (var entry in Directory.EnumerateFileSystemEntries(dataDir).Where(e => Path.GetFileName(e) is not ("slipway.lock" or "slipway.pid" or StagingDir)))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
            throw;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The id the master keyring gives a key (Config.Keyring: the first 8 hex digits of its SHA-256).</summary>
    private static string KeyId(string base64) => Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(base64)))[..8];

    /// <summary>The restored state as this machine's: the store it came from takes the keys given now (the lost machine's
    /// may be revoked; added as the default store when the state did not know it), and only the build sources, shared by
    /// snapshots, stay known as shipped: the new machine's WAL and base backups are its own (another cluster).</summary>
    private static void AdoptState(string stateFile, Config.Keyring keyring, S3Settings settings)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateFile, Pooling = false }.ToString());
        connection.Open();
        using var tx = connection.BeginTransaction();
        var values = new
        {
            endpoint = settings.Endpoint, bucket = settings.Bucket, prefix = settings.Prefix, region = settings.Region,
            access = keyring.Encrypt(settings.AccessKey), secret = keyring.Encrypt(settings.SecretKey),
        };
        var updated = connection.Execute("""
            update offsite_storages set endpoint = @endpoint, region = @region, access_key_enc = @access, secret_key_enc = @secret
            where bucket = @bucket and prefix = @prefix
            """, values, tx);
        if (updated == 0)
        {
            connection.Execute("""
                insert into offsite_storages (name, endpoint, bucket, prefix, region, access_key_enc, secret_key_enc, keep_local, created_at)
                values ('restored', @endpoint, @bucket, @prefix, @region, @access, @secret, 1, '0001-01-01T00:00:00.000Z')
                """, values, tx);
        }
        connection.Execute("delete from offsite_shipped where key not like 'sources/%'", transaction: tx);
        tx.Commit();
    }
}
