using System.Globalization;
using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Point-in-time recovery from the store, for restore-platform: the snapshot's own cluster (its manifest names
/// it: never another machine's, such as a restore drill's that shipped later) comes back from its newest base backup in
/// the store (finished before --at, when given) and the WAL shipped after it, replayed to the end (or to --at) in a
/// temporary cluster; each database is then copied into this machine's cluster. So a restore loses only what was not
/// yet shipped (about two minutes), not everything since the last daily backup.
///
///   base/SYSID/STAMP/*.sealed ─► opened into DATABASES/postgres/restore-base-*/
///   wal/SYSID/*.gz.sealed     ─► opened into DATABASES/postgres/restore-wal-*/    (from the base backup's start on)
///   ─► PointInTimeRecovery.RecoverFromElsewhereAsync ─► where replay stopped, checked against the last segment shipped
///   ─► both directories removed (after a kill, by RecoveryLeftovers at the next start)
///
/// An --at past the last segment shipped recovers to the end (PostgreSQL refuses a target it never reaches); replay that
/// stops before the last segment (one missing from the store) is said, with the moment it reached.</summary>
internal sealed class StoreRecovery(OffsiteStorages storages, BackupKeyring keys, PostgresCluster cluster, PointInTimeRecovery pitr, Config.Keyring keyring)
{
    /// <summary>Recovers <paramref name="dbs"/> from cluster <paramref name="systemId"/>'s base backup and WAL; null when the
    /// store holds no base backup of it to start from (or the snapshot had no cluster).</summary>
    public async Task<StoreRecoveryResult?> RecoverAsync(IReadOnlyList<DatabaseRecord> dbs, string? systemId, DateTimeOffset? at, Action<string> progress,
        CancellationToken token)
    {
        if (dbs.Count == 0 || systemId is null || storages.Default() is not { } storage)
        {
            return null;
        }
        using var bucket = new S3Bucket(storages.Settings(storage));
        var finished = (await bucket.ListAsync($"base/{systemId}/", token))
            .Where(o => o.Key.EndsWith("/finished.sealed", StringComparison.Ordinal) && o.Key.Split('/').Length == 4)
            .Where(o => at is null || o.LastModified < at.Value.UtcDateTime)
            .OrderByDescending(o => o.LastModified).FirstOrDefault();
        if (finished is null)
        {
            return null;
        }
        // Running first: a cluster made on first use (initdb) starts from an empty directory, where the downloads go.
        await cluster.EnsureRunningAsync(token);
        var stamp = finished.Key.Split('/')[2];
        var started = DateTime.ParseExact(stamp, "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var suffix = Secrets.Password()[..8].ToLowerInvariant();
        var baseDir = Path.Combine(cluster.Root, RecoveryLeftovers.StoreBasePrefix + suffix);
        var walDir = Path.Combine(cluster.Root, RecoveryLeftovers.StoreWalPrefix + suffix);
        var scratch = Path.Combine(cluster.Root, RecoveryLeftovers.StoreScratchPrefix + suffix);
        try
        {
            Directory.CreateDirectory(baseDir);
            Directory.CreateDirectory(walDir);
            foreach (var part in (await bucket.ListAsync($"base/{systemId}/{stamp}/", token)).Where(o => !o.Key.EndsWith("/finished.sealed", StringComparison.Ordinal)))
            {
                var name = Path.GetFileName(part.Key)[..^".sealed".Length];
                progress($"base backup {stamp} of cluster {systemId}: {name}");
                await SealedObjects.GetAsync(bucket, part.Key, Path.Combine(baseDir, name), keys.Find, scratch, token);
            }
            var segments = (await bucket.ListAsync($"wal/{systemId}/", token)).Where(o => o.LastModified >= started.AddMinutes(-5)).ToList();
            progress($"{segments.Count} WAL segment(s) shipped since it");
            foreach (var segment in segments)
            {
                await SealedObjects.GetAsync(bucket, segment.Key, Path.Combine(walDir, Path.GetFileName(segment.Key)[..^".sealed".Length]), keys.Find, scratch, token);
            }
            cluster.User?.Own(baseDir);
            cluster.User?.Own(walDir);
            var last = segments.Count > 0 ? segments.Max(o => o.LastModified) : started;
            var lastShown = UtcTime.Format(new DateTimeOffset(last, TimeSpan.Zero));
            var target = at is { } asked && asked.UtcDateTime <= last ? asked.UtcDateTime : (DateTime?)null;
            var byName = dbs.ToDictionary(d => d.DbName, StringComparer.Ordinal);
            var recovered = await pitr.RecoverFromElsewhereAsync(baseDir, walDir, target,
                dbs.Select(d => (d.DbName, keyring.Decrypt(d.SecretEnc))).ToList(), progress, token);
            var lastSegment = segments.Select(o => Path.GetFileName(o.Key)).Where(n => n.Length >= 24).Select(n => n[8..24]).DefaultIfEmpty().Max(StringComparer.Ordinal);
            var committed = recovered.LastCommit is { } c ? $"last transaction committed at {UtcTime.Format(c)}" : "no transaction after the base backup";
            string reached;
            var shortOf = target is null && lastSegment is not null && recovered.ReplayedSegment is { } stopped && string.CompareOrdinal(stopped, lastSegment) < 0;
            if (target is { } moment)
            {
                reached = $"the moment {UtcTime.Format(new DateTimeOffset(moment, TimeSpan.Zero))} (base backup {stamp} and the WAL shipped after it; {committed})";
            }
            else if (shortOf)
            {
                reached = $"WAL segment {recovered.ReplayedSegment}, short of the last one shipped ({lastSegment}, at {lastShown}): the store lacks the segment after it " +
                    $"({committed}; base backup {stamp})";
            }
            else
            {
                reached = $"the end of the WAL shipped to the store ({committed}; last segment at {lastShown}; base backup {stamp})" +
                    (at is { } late ? $"; --at {UtcTime.Format(late)} is after the last segment shipped" : "");
            }
            return new StoreRecoveryResult(reached, shortOf, recovered.LastCommit,
                recovered.Copied.Select(n => byName[n]).ToList(), recovered.Failed.ToDictionary(f => byName[f.Key], f => f.Value));
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

/// <summary>What <see cref="StoreRecovery.RecoverAsync"/> reached, per database.</summary>
/// <param name="Reached">Where the databases were recovered to, for people.</param>
/// <param name="Short">Replay stopped before the last segment shipped (one is missing from the store).</param>
/// <param name="LastCommit">The last transaction replayed (null: none after the base backup).</param>
internal sealed record StoreRecoveryResult(string Reached, bool Short, DateTimeOffset? LastCommit, IReadOnlyList<DatabaseRecord> Copied,
    IReadOnlyDictionary<DatabaseRecord, string> Failed);
