using System.Formats.Tar;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Slipway.Offsite;

/// <summary>`slipway restore-platform`, on a new machine, before any platform runs there: a complete platform snapshot in
/// the store (the newest, the newest before --at, or --snapshot; <see cref="Choose"/>) comes back into an empty data
/// directory, and the first start finishes the job (<see cref="RestoredPlatform"/>: databases from the store's base
/// backup and WAL, else their newest verified backups; apps deployed again).
///
///   every manifest.json (which platform took it) ─► the snapshot chosen ─► staged in DATA/.restoring: state.db (one
///   sealed value opened with the master key; its store's keys replaced by the ones given: the lost machine's may well
///   be revoked), master.key (checked against the manifest), backup.key, certs, each live build's source, a new
///   origin.json ─► renamed into DATA, restore-pending.json last (the databases and apps to restore) ─► .restoring removed
///
/// Every object is opened with the backup key given; a wrong key, an empty store, a data or databases directory in use,
/// or two platforms shipping over the same days are said before anything is written. A platform refuses to start on a
/// directory that still holds .restoring (a restore killed half-way), so it can never come up half-restored with a fresh
/// master key.</summary>
internal static class PlatformRestore
{
    public const string StagingDir = ".restoring";

    /// <summary>Refuses a data directory that holds anything but what taking its lock made (slipway.lock, slipway.pid), and a
    /// databases directory that is not empty (a cluster made there under another master key could not be opened by the
    /// restored platform, and the restore would fail at its first start instead of now).</summary>
    public static void RequireEmpty(string dataDir, string databasesDir)
    {
        if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any(e => Path.GetFileName(e) is not ("slipway.lock" or "slipway.pid")))
        {
            throw new UserException($"{dataDir} is not empty: restore-platform rebuilds a platform into a new data directory. " +
                "Give an empty one with --data DIR (or move this one away; never restore over a platform that runs).");
        }
        if (Directory.Exists(databasesDir) && Directory.EnumerateFileSystemEntries(databasesDir).Any())
        {
            throw new UserException($"{databasesDir} (where the restored platform's databases go) is not empty: it holds another platform's databases. " +
                "Move it away, or give the databases another place with --databases-dir DIR (and the same to the platform you start on the restored data).");
        }
    }

    /// <summary>Which snapshot to restore, from the complete ones (stamp and manifest): <paramref name="asked"/> when given;
    /// else the newest (taken before <paramref name="at"/>, when given). Refused when two platforms shipped snapshots over the
    /// same days (a restore drill beside the live machine, or a lost machine that came back): the newest need not be the
    /// one meant, so each is named and --snapshot asked for.</summary>
    public static string Choose(IReadOnlyList<PlatformManifest> snapshots, string? asked, DateTimeOffset? at)
    {
        if (asked is not null)
        {
            return snapshots.Any(m => m.Stamp == asked) ? asked
                : throw new UserException($"There is no complete snapshot {asked} in the store; the newest are {string.Join(", ", snapshots.Select(m => m.Stamp).OrderDescending(StringComparer.Ordinal).Take(5))}.");
        }
        var candidates = snapshots.Where(m => at is null || m.TakenAt <= at.Value).OrderByDescending(m => m.Stamp, StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
        {
            throw new UserException($"No snapshot in the store was taken before --at {UtcTime.Format(at!.Value)}; the oldest is {snapshots.Min(m => m.Stamp)}. " +
                "Give a later --at, or leave it out.");
        }
        static string OriginOf(PlatformManifest m) => m.Origin?.Id ?? "";
        var newest = candidates[0];
        var since = candidates.Where(m => OriginOf(m) == OriginOf(newest)).Min(m => m.TakenAt);
        var rivals = candidates.Where(m => OriginOf(m) != OriginOf(newest) && m.TakenAt > since).ToList();
        if (rivals.Count == 0)
        {
            return newest.Stamp;
        }
        var named = rivals.Select(OriginOf).Append(OriginOf(newest)).ToHashSet(StringComparer.Ordinal);
        var origins = candidates.Where(m => named.Contains(OriginOf(m))).GroupBy(OriginOf).Select(g =>
        {
            var first = g.First();
            var who = first.Origin is { } o ? $"platform {o.Id} on {o.Host}" + (o.RestoredFrom is { } from ? $" (restored from {from})" : "") : "a platform of an earlier version";
            return $"{who}: {g.Count()} snapshot(s), the newest {g.Max(m => m.Stamp)}";
        });
        throw new UserException("Two platforms shipped snapshots to this store over the same days, so the newest is not surely the one to restore " +
            "(a restore drill run beside the live machine does this): " + string.Join("; ", origins) +
            ". Say which with --snapshot STAMP (the live machine's newest, as a rule).");
    }

    public static async Task<PlatformManifest> RunAsync(string dataDir, string databasesDir, S3Settings settings, BackupKey key, string? snapshot, DateTimeOffset? at,
        Action<string> progress, CancellationToken token)
    {
        RequireEmpty(dataDir, databasesDir);
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
        Directory.CreateDirectory(dataDir);
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Inside the data directory (one file system: the staged files are renamed into place), removed whatever happens.
        var scratch = Path.Combine(dataDir, StagingDir);
        Directory.CreateDirectory(scratch);
        BackupKey? KeyFor(string id) => id == key.Id ? key : null;
        var stamp = snapshot ?? "";
        try
        {
            // Every complete snapshot's manifest (small): which platform took each decides which one to restore.
            var manifests = new List<PlatformManifest>();
            foreach (var each in snapshots)
            {
                var file = Path.Combine(scratch, each + ".json");
                await SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(each, "manifest.json"), file, KeyFor, scratch, token);
                manifests.Add(PlatformManifest.Parse(file));
                File.Delete(file);
            }
            stamp = Choose(manifests, snapshot, at);
            var manifest = manifests.Single(m => m.Stamp == stamp);
            progress($"snapshot {stamp} (of {snapshots.Count}) in the {bucket.Description}");
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
            var (databases, apps, oldKeys) = AdoptState(Path.Combine(staged, "slipway.db"), new Config.Keyring(staged), settings, stamp);
            foreach (var store in oldKeys)
            {
                progress(store);
            }
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
            var pending = new RestorePending(stamp, DateTimeOffset.UtcNow, At: at, Databases: databases, Apps: apps, SystemId: manifest.SystemId);
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

    /// <summary>The restored state as this machine's: its sealed values open with the snapshot's master key (checked on one,
    /// before anything is moved in); the store it came from takes the keys given now (the lost machine's may be revoked;
    /// added as the default store when the state did not know it); the build sources and database backups stay known as
    /// shipped (they are in the store, and `storage rm` must still know that the store holds their only copy), while the
    /// WAL, base backups and snapshots are the lost machine's: this one ships its own. Returns the managed PostgreSQL
    /// databases and the apps with a live release that the first start restores, and a line for each other store it
    /// brought back: those keep the lost machine's keys (only the store restored from got new ones), so each line, also
    /// recorded as an event, names the command that replaces them.</summary>
    internal static (List<string> Databases, List<string> Apps, List<string> OldKeys) AdoptState(string stateFile, Config.Keyring keyring, S3Settings settings, string stamp)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateFile, Pooling = false }.ToString());
        connection.Open();
        var sealedValue = connection.QueryFirstOrDefault<string>("select value_enc from config_vars union all select secret_enc from databases limit 1");
        if (sealedValue is not null)
        {
            try
            {
                keyring.Decrypt(sealedValue);
            }
            catch (Exception e) when (e is CryptographicException or FormatException or InvalidOperationException or UserException)
            {
                throw new UserException($"Snapshot {stamp}'s state does not open with its own master key ({e.Message}): it cannot be restored. " +
                    "Restore an earlier one: --snapshot STAMP (its objects are under platform/ in the bucket).");
            }
        }
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
        connection.Execute("delete from offsite_shipped where key not like 'sources/%' and key not like 'databases/%'", transaction: tx);
        var databases = connection.Query<string>("select id from databases where type = 'postgres' and server = 'managed'", transaction: tx).ToList();
        var apps = connection.Query<string>("select name from apps where live_deployment_id is not null", transaction: tx).ToList();
        var oldKeys = OtherStores(connection, tx, values.bucket, values.prefix);
        foreach (var line in oldKeys)
        {
            connection.Execute("insert into events(at, app, deployment_id, kind, message) values (@at, null, null, 'offsite.old-keys', @line)",
                new { at = UtcTime.Format(DateTimeOffset.UtcNow), line }, tx);
        }
        tx.Commit();
        return (databases, apps, oldKeys);
    }

    /// <summary>For each store but the one restored from (<paramref name="bucket"/>, <paramref name="prefix"/>): that it keeps the
    /// lost machine's keys, and how to give it new ones. A snapshot from before stores had a scope (schema step 20) has none to
    /// name.</summary>
    private static List<string> OtherStores(SqliteConnection connection, SqliteTransaction tx, string bucket, string prefix)
    {
        var scoped = connection.Query<string>("select name from pragma_table_info('offsite_storages')", transaction: tx).Contains("scope");
        return connection.Query<(string Name, string Bucket, string Endpoint, string? Scope)>(
                $"select name, bucket, endpoint, {(scoped ? "scope" : "null")} from offsite_storages where not (bucket = @bucket and prefix = @prefix) order by created_at, name",
                new { bucket, prefix }, tx)
            .Select(s =>
            {
                var whose = s.Scope is null ? "platform-wide" : OffsiteStorages.Shown(s.Scope, AppOf(s.Scope));
                return $"store {s.Name} ({whose}; bucket {s.Bucket} at {s.Endpoint}) still has the lost machine's keys: if they were revoked, its copies, " +
                    $"its verify and restores from it fail until it has new ones: printf '%s\\n%s\\n' \"$KEY_ID\" \"$SECRET\" | slipway storage keys {s.Name}";
            }).ToList();

        AppRef? AppOf(string scope)
        {
            var (row, database) = OffsiteStorages.PartsOf(scope);
            var (app, env) = connection.QueryFirstOrDefault<(string?, string?)>("select base_app, env from databases where app = @row and name = @database",
                new { row, database }, tx);
            return app is not null && env is not null ? new AppRef(app, env) : null;
        }
    }
}
