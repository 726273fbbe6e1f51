using Amazon.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Databases;

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
/// again next tick; nothing local is deleted for the store's sake. Hourly, the store is pruned like the machine
/// (<see cref="OffsitePruner"/>).</summary>
internal sealed partial class OffsiteShipper(
    OffsiteStorages storages, BackupKeyring keys, ShippedObjects shipped, PlatformBackup platform, PostgresCluster cluster, PointInTimeRecovery pitr,
    OffsiteBackupStorage backups, DatabaseStore databases, OffsiteHealth health, OffsitePruner pruner, DatabasesOptions databaseOptions, OffsiteOptions options, TimeProvider clock,
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
                snapshot = await platform.TakeAsync(bucket, storage.Name, _systemId, token);
                LogPlatform(logger, storage.Name, snapshot.Stamp);
            }
            if (clock.GetUtcNow() - _pruned >= options.PruneInterval)
            {
                await pruner.PruneAsync(bucket, storage.Name, _systemId, token);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "A round of off-site copies failed with an internal error")]
    private static partial void LogBug(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied to off-site store {Storage}: {Wal} WAL segment(s), {Bases} base backup(s)")]
    private static partial void LogShipped(ILogger logger, string storage, int wal, int bases);

    [LoggerMessage(Level = LogLevel.Information, Message = "Platform snapshot {Stamp} copied to off-site store {Storage}")]
    private static partial void LogPlatform(ILogger logger, string storage, string stamp);


}

/// <summary>What one round copied.</summary>
internal sealed record ShipReport(string? Storage, int WalSegments, int BaseBackups, int DatabaseBackups, string? PlatformSnapshot);
