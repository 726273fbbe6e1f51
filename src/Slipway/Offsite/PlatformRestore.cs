using System.Formats.Tar;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Slipway.Offsite;

/// <summary>`slipway restore-platform`, on a new machine, before any platform runs there: the newest complete platform
/// snapshot in the store comes back into an empty data directory, and the first start finishes the job
/// (<see cref="RestoredPlatform"/>: databases from their newest verified backups, apps deployed again).
///
///   manifest.json ─► state.db → DATA/slipway.db, master.key → DATA/master.key (0600), the backup key → DATA/backup.key,
///   certs.tar → DATA/certs, each live build's source → DATA/builds/APP/BUILD.src ─► DATA/restore-pending.json
///
/// Every object is opened with the backup key given; a wrong key, an empty store or a data directory already in use is
/// said before anything is written.</summary>
internal static class PlatformRestore
{
    public static async Task<PlatformManifest> RunAsync(string dataDir, S3Settings settings, BackupKey key, Action<string> progress, CancellationToken token)
    {
        if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any())
        {
            throw new UserException($"{dataDir} is not empty: restore-platform rebuilds a platform into a new data directory. " +
                "Give an empty one with --data DIR (or move this one away; never restore over a platform that runs).");
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
        var scratch = Path.Combine(dataDir, ".restoring");
        Directory.CreateDirectory(scratch);
        try
        {
            progress($"snapshot {stamp} (of {snapshots.Count}) in the {bucket.Description}");
            var manifestFile = Path.Combine(scratch, "manifest.json");
            await SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(stamp, "manifest.json"), manifestFile, id => id == key.Id ? key : null, scratch, token);
            var manifest = PlatformManifest.Parse(manifestFile);

            var staged = Path.Combine(scratch, "data");
            Directory.CreateDirectory(staged);
            // Everything is fetched and opened first: a failure half-way leaves the data directory as empty as it was.
            await GetAsync("state.db", Path.Combine(staged, "slipway.db"));
            var masterKey = Path.Combine(scratch, "master.key");
            await GetAsync("master.key", masterKey);
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
                await SealedObjects.GetAsync(bucket, source.Key, tar, id => id == key.Id ? key : null, scratch, token);
                var dir = Path.Combine(staged, "builds", source.App, source.BuildId + Deploy.BuildDirectories.SourceSuffix);
                Directory.CreateDirectory(dir);
                await TarFile.ExtractToDirectoryAsync(tar, dir, overwriteFiles: false, token);
                File.Delete(tar);
                progress($"source of {source.App} (build {source.BuildId})");
            }
            ForgetShipped(Path.Combine(staged, "slipway.db"));

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
            var keyText = (await File.ReadAllTextAsync(masterKey, token)).Trim();
            PrivateFile.Write(Path.Combine(dataDir, "master.key"), stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(keyText + "\n")));
            new BackupKeyring(dataDir).Import(key);
            var pending = new RestorePending(stamp, DateTimeOffset.UtcNow);
            await File.WriteAllBytesAsync(Path.Combine(dataDir, RestoredPlatform.MarkFile), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(pending, RestoredPlatform.Json), token);
            return manifest;

            Task GetAsync(string name, string file)
            {
                progress(name);
                return SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(stamp, name), file, id => id == key.Id ? key : null, scratch, token);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The new machine's WAL and base backups are its own (another cluster): what the old one shipped stays in the
    /// store under its cluster's id, pruned by time; only the sources, shared by snapshots, stay known as shipped.</summary>
    private static void ForgetShipped(string stateFile)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateFile, Pooling = false }.ToString());
        connection.Open();
        connection.Execute("delete from offsite_shipped where key not like 'sources/%'");
    }
}
