using System.Globalization;
using Amazon.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>Copies to the default store, every <see cref="OffsiteOptions.ShipTick"/> (15 s):
///
///   wal-archive/SEGMENT.gz      ─► wal/SYSID/SEGMENT.gz.sealed        within a tick of being archived, so a
///                                                                     recovery from the store loses ~2 min at most
///   base/STAMP/* (finished)     ─► base/SYSID/STAMP/FILE.sealed, "finished" last
///   the platform's state, daily ─► platform/STAMP/... (PlatformBackup)
///
/// SYSID is the cluster's system identifier: a cluster made anew on another machine numbers its WAL from the start
/// again and must never overwrite the old one's. Each object is recorded as shipped only after it was read back and
/// matched. A failing round is one "offsite.copy-failed" event per spell (and the "offsite" alert) and is simply tried
/// again next tick; nothing local is deleted for the store's sake. Hourly, the store is pruned like the machine: base
/// backups and WAL outside the recovery window, platform snapshots beyond the newest 14, sources no kept build uses.</summary>
internal sealed partial class OffsiteShipper(
    OffsiteStorages storages, BackupKeyring keys, ShippedObjects shipped, PlatformBackup platform, PostgresCluster cluster, PointInTimeRecovery pitr,
    OffsiteBackupStorage backups, DatabaseStore databases, OffsiteHealth health, Store store, DatabasesOptions databaseOptions, OffsiteOptions options, TimeProvider clock,
    ILogger<OffsiteShipper> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _round = new(1, 1);
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;
    private string? _systemId;

    public override void Dispose()
    {
        base.Dispose();
        _round.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What a stopped round left: the state's and the master key's plain copies among it.
        var scratch = Path.Combine(databaseOptions.DataDir, "run", "offsite");
        if (Directory.Exists(scratch) && !RestoreMark.IsPending(databaseOptions.DataDir))
        {
            Directory.Delete(scratch, recursive: true);
        }
        using var timer = new PeriodicTimer(options.ShipTick, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(platformNow: false, stoppingToken);
                }
                catch (Exception e) when (OffsiteHealth.IsOperational(e))
                {
                    // Recorded by RunAsync; tried again next tick.
                }
#pragma warning disable CA1031 // a bug in one round must not stop the platform: logged with its stack trace, tried again next tick
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogBug(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round: whatever is not in the store yet goes now; the platform's state too when a day has passed
    /// since the last copy (or <paramref name="platformNow"/>: `slipway storage sync`).</summary>
    public async Task<ShipReport> RunAsync(bool platformNow, CancellationToken token)
    {
        if (RestoreMark.IsPending(databaseOptions.DataDir))
        {
            return platformNow
                ? throw new UserException("The platform is still being restored (restore-platform): copies to the store start once it is done; 'slipway events' follows it.", 409)
                : new ShipReport(null, 0, 0, 0, null);
        }
        if (storages.Default() is not { } storage)
        {
            return platformNow
                ? throw new UserException("No off-site store: add one first (printf '%s\\n%s\\n' KEY SECRET | slipway storage add offsite --endpoint URL --bucket B).")
                : new ShipReport(null, 0, 0, 0, null);
        }
        await _round.WaitAsync(token);
        try
        {
            using var bucket = new S3Bucket(storages.Settings(storage));
            var scratch = Path.Combine(databaseOptions.DataDir, "run", "offsite");
            var (wal, bases) = await ShipClusterAsync(bucket, storage.Name, scratch, token);
            var pending = await backups.ShipPendingAsync(bucket, storage, databases.ListVerifiedBackups(), token);
            PlatformManifest? snapshot = null;
            var last = shipped.Newest(storage.Name, PlatformManifest.Prefix);
            if (platformNow || last is null || clock.GetUtcNow() - last >= options.PlatformInterval)
            {
                snapshot = await platform.TakeAsync(bucket, storage.Name, token);
                LogPlatform(logger, storage.Name, snapshot.Stamp);
            }
            if (clock.GetUtcNow() - _pruned >= options.PruneInterval)
            {
                await PruneAsync(bucket, storage.Name, token);
                _pruned = clock.GetUtcNow();
            }
            health.Worked(storage.Name);
            return new ShipReport(storage.Name, wal, bases, pending, snapshot?.Stamp);
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e))
        {
            health.Failed(storage.Name, e);
            throw;
        }
        finally
        {
            _round.Release();
        }
    }

    private async Task<(int Wal, int Bases)> ShipClusterAsync(S3Bucket bucket, string storage, string scratch, CancellationToken token)
    {
        if (!cluster.IsInitialized || cluster.Pid is null || !Directory.Exists(cluster.ArchiveDir))
        {
            return (0, 0);
        }
        var system = _systemId ??= await SystemIdentifierAsync(token);
        var done = shipped.Keys(storage, $"wal/{system}/");
        var wal = 0;
        foreach (var segment in Directory.GetFiles(cluster.ArchiveDir, "*.gz").Order(StringComparer.Ordinal))
        {
            var key = $"wal/{system}/{Path.GetFileName(segment)}.sealed";
            if (!done.Contains(key))
            {
                await SealedObjects.PutAsync(bucket, key, segment, keys.Current, scratch, token);
                shipped.Add(storage, key, new FileInfo(segment).Length);
                wal++;
            }
        }
        var bases = 0;
        done = shipped.Keys(storage, $"base/{system}/");
        foreach (var (dir, _) in pitr.BaseBackups())
        {
            var stamp = Path.GetFileName(dir);
            var finished = $"base/{system}/{stamp}/finished.sealed";
            if (done.Contains(finished))
            {
                continue;
            }
            foreach (var file in Directory.GetFiles(dir).Where(f => Path.GetFileName(f) != "finished").Order(StringComparer.Ordinal))
            {
                var key = $"base/{system}/{stamp}/{Path.GetFileName(file)}.sealed";
                if (!done.Contains(key))
                {
                    await SealedObjects.PutAsync(bucket, key, file, keys.Current, scratch, token);
                    shipped.Add(storage, key, new FileInfo(file).Length);
                }
            }
            await SealedObjects.PutAsync(bucket, finished, Path.Combine(dir, "finished"), keys.Current, scratch, token);
            shipped.Add(storage, finished, 0);
            bases++;
        }
        if (wal + bases > 0)
        {
            LogShipped(logger, storage, wal, bases);
        }
        return (wal, bases);
    }

    private async Task<string> SystemIdentifierAsync(CancellationToken token)
    {
        var target = await cluster.EnsureRunningAsync(token);
        await using var connection = await target.OpenAsync(null, token);
        await using var command = new NpgsqlCommand("select system_identifier::text from pg_control_system()", connection);
        return (string)(await command.ExecuteScalarAsync(token))!;
    }

    /// <summary>The store keeps what the machine keeps: base backups inside the recovery window and the newest before
    /// it, the WAL from that one's start on (any cluster's, by the objects' times), the newest platform snapshots, and
    /// the sources they name.</summary>
    private async Task PruneAsync(S3Bucket bucket, string storage, CancellationToken token)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var doomed = new List<string>();
        var cutoff = now - databaseOptions.PitrWindow;
        var systems = (await bucket.ListAsync("base/", token)).GroupBy(o => o.Key.Split('/')[1])
            .Select(system => (Id: system.Key, Stamps: system.GroupBy(o => o.Key.Split('/')[2])
                .Select(g => (Stamp: g.Key, Objects: g.ToList(), Finished: g.Any(o => o.Key.EndsWith("/finished.sealed", StringComparison.Ordinal)), At: g.Max(o => o.LastModified)))
                .OrderByDescending(st => st.At).ToList()))
            .ToList();
        var wal = (await bucket.ListAsync("wal/", token)).GroupBy(o => o.Key.Split('/')[1]).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        // Each cluster (a machine's, or the one before a restore) is kept like the local archive: base backups inside the
        // window and the newest before it, and its WAL from that one's start. A cluster whose newest base backup is past
        // the window goes whole once another has one inside it (the one that replaced it on a new machine).
        var anotherInside = systems.Where(sy => sy.Stamps.Any(st => st.Finished && st.At >= cutoff)).Select(sy => sy.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, stamps) in systems)
        {
            var complete = stamps.Where(st => st.Finished).ToList();
            var keep = complete.TakeWhile(st => st.At >= cutoff).Concat(complete.SkipWhile(st => st.At >= cutoff).Take(1)).ToList();
            if (!complete.Any(st => st.At >= cutoff) && anotherInside.Any(other => other != id))
            {
                keep.Clear();
            }
            foreach (var stamp in stamps.Where(st => !keep.Contains(st) && (st.Finished || st.At < now - TimeSpan.FromDays(1) || keep.Count == 0)))
            {
                doomed.AddRange(stamp.Objects.Select(o => o.Key));
            }
            var walCutoff = keep.Count > 0 && StampTime(keep[^1].Stamp) is { } started ? started.AddMinutes(-5) : DateTime.MaxValue;
            doomed.AddRange(wal.GetValueOrDefault(id, []).Where(o => o.LastModified < walCutoff).Select(o => o.Key));
            wal.Remove(id);
        }
        // WAL of a cluster without any base backup in the store (its first is still on its way): by time alone.
        doomed.AddRange(wal.Values.SelectMany(v => v).Where(o => o.LastModified < cutoff).Select(o => o.Key));

        var snapshots = (await bucket.ListAsync(PlatformManifest.Prefix, token))
            .GroupBy(o => o.Key.Split('/')[1])
            .Select(g => (Stamp: g.Key, Objects: g.ToList(), Complete: g.Any(o => o.Key.EndsWith("/manifest.json.sealed", StringComparison.Ordinal)), At: g.Max(o => o.LastModified)))
            .OrderByDescending(s => s.Stamp, StringComparer.Ordinal).ToList();
        var kept = snapshots.Where(s => s.Complete).Take(options.KeepPlatformSnapshots).ToList();
        foreach (var snapshot in snapshots.Where(s => !kept.Contains(s) && (s.Complete || s.At < now - TimeSpan.FromDays(1))))
        {
            doomed.AddRange(snapshot.Objects.Select(o => o.Key));
        }
        // A source goes once no kept snapshot names it, no build of this machine still uses it, and it is older than
        // the oldest kept snapshot (one on its way names it next). A snapshot that cannot be read keeps every source.
        var named = new HashSet<string>(StringComparer.Ordinal);
        var scratch = Path.Combine(databaseOptions.DataDir, "run", "offsite");
        foreach (var snapshot in kept)
        {
            var file = Path.Combine(scratch, Guid.NewGuid().ToString("N") + ".json");
            try
            {
                await SealedObjects.GetAsync(bucket, PlatformManifest.KeyOf(snapshot.Stamp, "manifest.json"), file, keys.Find, scratch, token);
                named.UnionWith(PlatformManifest.Parse(file).Sources.Select(source => source.Key));
            }
            catch (Exception e) when (e is UserException or System.Text.Json.JsonException)
            {
                named = null;
                break;
            }
            finally
            {
                File.Delete(file);
            }
        }
        if (named is not null)
        {
            var oldestKept = kept.Count > 0 ? kept[^1].At : DateTime.MinValue;
            var used = store.ListApps().SelectMany(a => store.ListBuilds(a.Name)).Where(b => b.Pruned == 0)
                .Select(b => PlatformSource.KeyOf(b.App, b.Id)).ToHashSet(StringComparer.Ordinal);
            doomed.AddRange((await bucket.ListAsync("sources/", token))
                .Where(o => !named.Contains(o.Key) && !used.Contains(o.Key) && o.LastModified < oldestKept).Select(o => o.Key));
        }

        foreach (var key in doomed)
        {
            await bucket.DeleteAsync(key, token);
        }
        shipped.Forget(storage, doomed);
        if (doomed.Count > 0)
        {
            LogPruned(logger, storage, doomed.Count);
        }
    }

    private static DateTime? StampTime(string stamp) =>
        DateTime.TryParseExact(stamp, "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? at : null;

    [LoggerMessage(Level = LogLevel.Error, Message = "A round of off-site copies failed with an internal error")]
    private static partial void LogBug(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied to off-site store {Storage}: {Wal} WAL segment(s), {Bases} base backup(s)")]
    private static partial void LogShipped(ILogger logger, string storage, int wal, int bases);

    [LoggerMessage(Level = LogLevel.Information, Message = "Platform snapshot {Stamp} copied to off-site store {Storage}")]
    private static partial void LogPlatform(ILogger logger, string storage, string stamp);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} object(s) from off-site store {Storage}")]
    private static partial void LogPruned(ILogger logger, string storage, int count);

}

/// <summary>What one round copied.</summary>
internal sealed record ShipReport(string? Storage, int WalSegments, int BaseBackups, int DatabaseBackups, string? PlatformSnapshot);
