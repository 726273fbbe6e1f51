using System.Formats.Tar;
using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>The platform's own state, copied to a store so a new machine can be rebuilt from it (restore-platform):
///
///   state.db    SQLite's online backup of DATA/slipway.db (a consistent copy while the platform writes): apps,
///               environments, deployments, config (still sealed under the master key), domains, databases and their
///               backups' records, users, the stores themselves
///   master.key  the master key, so the sealed config opens on the new machine
///   certs.tar   DATA/certs (issued and uploaded certificates)
///   sources     each environment's live build's kept source (BUILD.src), shipped once per build, so an app deployed
///               from a local directory can be built again
///
/// Each is sealed under the backup key and read back before the next; manifest.json goes last, so a snapshot cut
/// short is never the one restored.</summary>
internal sealed class PlatformBackup(Store store, Config.Keyring keyring, BackupKeyring keys, ShippedObjects shipped, Deploy.BuildDirectories builds,
    string dataDir, TimeProvider clock)
{
    private static readonly string Version =
        typeof(PlatformBackup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public string CertsDir => Path.Combine(dataDir, "certs");

    /// <param name="systemId">The managed cluster's system identifier (null: none runs here).</param>
    public async Task<PlatformManifest> TakeAsync(S3Bucket bucket, string storage, string? systemId, CancellationToken token)
    {
        var stamp = clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var scratch = Path.Combine(dataDir, "run", "offsite", stamp);
        Directory.CreateDirectory(scratch);
        try
        {
            var files = new List<string>();
            // The state first, then the key: a rotation in between is seen (the key's id changed) and this round gives up,
            // so a snapshot never pairs a state with a key that cannot open it.
            if (keyring.RotationPending)
            {
                throw new UserException("The master key is being rotated; the next round copies the platform's state.", 409);
            }
            var keyId = keyring.Current;
            var state = Path.Combine(scratch, "state.db");
            using (var source = store.Connections.Open())
            using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = state, Pooling = false }.ToString()))
            {
                copy.Open();
                source.BackupDatabase(copy);
            }
            var masterKey = keyring.ExportForBackup();
            if (keyring.RotationPending || keyring.Current != keyId || !SealedUnder(state, keyId))
            {
                throw new UserException("The master key was rotated while the platform's state was copied; the next round copies it again.", 409);
            }
            // Sources of the builds the copied state calls live, so the snapshot names exactly what it needs.
            var sources = await ShipSourcesAsync(bucket, storage, state, scratch, token);
            await PutAsync("state.db", state);
            var key = Path.Combine(scratch, "master.key");
            PrivateFile.Write(key, stream => stream.Write(System.Text.Encoding.ASCII.GetBytes(masterKey + "\n")));
            await PutAsync("master.key", key);
            if (Directory.Exists(CertsDir) && Directory.EnumerateFileSystemEntries(CertsDir).Any())
            {
                var certs = Path.Combine(scratch, "certs.tar");
                await TarFile.CreateFromDirectoryAsync(CertsDir, certs, includeBaseDirectory: false, token);
                await PutAsync("certs.tar", certs);
            }
            var manifest = new PlatformManifest(1, stamp, clock.GetUtcNow(), Version, keyId, files, sources, PlatformOrigin.Of(dataDir), systemId);
            var manifestFile = Path.Combine(scratch, "manifest.json");
            await File.WriteAllBytesAsync(manifestFile, manifest.ToJson(), token);
            await SealedObjects.PutAsync(bucket, PlatformManifest.KeyOf(stamp, "manifest.json"), manifestFile, keys.Current, scratch, token);
            shipped.Add(storage, PlatformManifest.KeyOf(stamp, "manifest.json"), new FileInfo(manifestFile).Length);
            return manifest;

            async Task PutAsync(string name, string file)
            {
                await SealedObjects.PutAsync(bucket, PlatformManifest.KeyOf(stamp, name), file, keys.Current, scratch, token);
                files.Add(name);
            }
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The copy's sealed values name <paramref name="keyId"/> (a rotation's re-seal that committed between reading
    /// the key's id and copying would leave them under another).</summary>
    private static bool SealedUnder(string stateCopy, string keyId)
    {
        using var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateCopy, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        copy.Open();
        return copy.Query<string>("select value_enc from config_vars union all select secret_enc from databases")
            .All(value => value.Split('.') is [_, var id, _] && id == keyId);
    }

    /// <summary>The kept source of every build <paramref name="stateCopy"/> calls live, each build once per store.</summary>
    private async Task<List<PlatformSource>> ShipSourcesAsync(S3Bucket bucket, string storage, string stateCopy, string scratch, CancellationToken token)
    {
        List<(string App, string Id)> live;
        using (var copy = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = stateCopy, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString()))
        {
            copy.Open();
            live = copy.Query<(string, string)>("""
                select distinct b.app, b.id from apps a join deployments d on d.id = a.live_deployment_id join builds b on b.id = d.build_id
                """).ToList();
        }
        var done = shipped.Keys(storage, "sources/");
        var sources = new List<PlatformSource>();
        foreach (var (app, id) in live)
        {
            var dir = builds.PathFor(app, id) + Deploy.BuildDirectories.SourceSuffix;
            if (!Directory.Exists(dir))
            {
                continue;
            }
            var source = new PlatformSource(app, id, PlatformSource.KeyOf(app, id));
            if (!done.Contains(source.Key))
            {
                var tar = Path.Combine(scratch, id + ".tar");
                await TarFile.CreateFromDirectoryAsync(dir, tar, includeBaseDirectory: false, token);
                await SealedObjects.PutAsync(bucket, source.Key, tar, keys.Current, scratch, token);
                shipped.Add(storage, source.Key, new FileInfo(tar).Length);
                File.Delete(tar);
                done.Add(source.Key);
            }
            sources.Add(source);
        }
        return sources;
    }
}
