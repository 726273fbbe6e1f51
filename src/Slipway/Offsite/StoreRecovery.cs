using System.Globalization;
using Npgsql;
using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Point-in-time recovery from the store, for restore-platform: the lost machine's cluster comes back from its
/// newest base backup in the store (finished before --at, when given) and the WAL shipped after it, replayed to the end
/// (or to --at) in a temporary cluster; each database is then copied into this machine's cluster. So a restore loses only
/// what was not yet shipped (about two minutes), not everything since the last daily backup.
///
///   base/SYSID/STAMP/*.sealed ─► opened into DATABASES/postgres/restore-base-*/   (the newest cluster other than ours)
///   wal/SYSID/*.gz.sealed     ─► opened into DATABASES/postgres/restore-wal-*/    (from the base backup's start on)
///   ─► PointInTimeRecovery.RecoverFromElsewhereAsync ─► both directories removed</summary>
internal sealed class StoreRecovery(OffsiteStorages storages, BackupKeyring keys, PostgresCluster cluster, PointInTimeRecovery pitr, Config.Keyring keyring)
{
    /// <summary>Recovers <paramref name="dbs"/>; returns what was reached ("the end of the WAL shipped at ..."), or null when
    /// the store holds no base backup of another cluster to start from.</summary>
    public async Task<string?> RecoverAsync(IReadOnlyList<DatabaseRecord> dbs, DateTimeOffset? at, Action<string> progress, CancellationToken token)
    {
        if (dbs.Count == 0 || storages.Default() is not { } storage)
        {
            return null;
        }
        using var bucket = new S3Bucket(storages.Settings(storage));
        var live = await cluster.EnsureRunningAsync(token);
        string ours;
        await using (var connection = await live.OpenAsync(null, token))
        await using (var command = new NpgsqlCommand("select system_identifier::text from pg_control_system()", connection))
        {
            ours = (string)(await command.ExecuteScalarAsync(token))!;
        }
        var finished = (await bucket.ListAsync("base/", token))
            .Where(o => o.Key.EndsWith("/finished.sealed", StringComparison.Ordinal) && o.Key.Split('/')[1] != ours)
            .Where(o => at is null || o.LastModified < at.Value.UtcDateTime)
            .OrderByDescending(o => o.LastModified).FirstOrDefault();
        if (finished is null)
        {
            return null;
        }
        var (system, stamp) = (finished.Key.Split('/')[1], finished.Key.Split('/')[2]);
        var started = DateTime.ParseExact(stamp, "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var suffix = Secrets.Password()[..8].ToLowerInvariant();
        var baseDir = Path.Combine(cluster.Root, "restore-base-" + suffix);
        var walDir = Path.Combine(cluster.Root, "restore-wal-" + suffix);
        var scratch = Path.Combine(cluster.Root, "restore-scratch-" + suffix);
        try
        {
            Directory.CreateDirectory(baseDir);
            Directory.CreateDirectory(walDir);
            foreach (var part in (await bucket.ListAsync($"base/{system}/{stamp}/", token)).Where(o => !o.Key.EndsWith("/finished.sealed", StringComparison.Ordinal)))
            {
                var name = Path.GetFileName(part.Key)[..^".sealed".Length];
                progress($"base backup {stamp} of cluster {system}: {name}");
                await SealedObjects.GetAsync(bucket, part.Key, Path.Combine(baseDir, name), keys.Find, scratch, token);
            }
            var segments = (await bucket.ListAsync($"wal/{system}/", token)).Where(o => o.LastModified >= started.AddMinutes(-5)).ToList();
            progress($"{segments.Count} WAL segment(s) shipped since it");
            foreach (var segment in segments)
            {
                await SealedObjects.GetAsync(bucket, segment.Key, Path.Combine(walDir, Path.GetFileName(segment.Key)[..^".sealed".Length]), keys.Find, scratch, token);
            }
            cluster.User?.Own(baseDir);
            cluster.User?.Own(walDir);
            await pitr.RecoverFromElsewhereAsync(baseDir, walDir, at?.UtcDateTime, dbs.Select(d => (d.DbName, keyring.Decrypt(d.SecretEnc))).ToList(), progress, token);
            var last = segments.Count > 0 ? segments.Max(o => o.LastModified) : started;
            return at is { } target
                ? $"the moment {UtcTime.Format(target)} (base backup {stamp} and the WAL shipped after it)"
                : $"the end of the WAL shipped to the store (last segment at {UtcTime.Format(new DateTimeOffset(last, TimeSpan.Zero))}, base backup {stamp})";
        }
        finally
        {
            foreach (var dir in new[] { baseDir, walDir, scratch })
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
    }
}
