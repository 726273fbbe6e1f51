using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Databases;

namespace Slipway.Offsite;

/// <summary>Copies to the stores in two lanes, each every <see cref="OffsiteOptions.ShipTick"/> (15 s) under a lock of
/// its own, so that WAL never waits behind a large upload:
///
///   WAL lane    wal-archive/SEGMENT.gz       ─► wal/SYSID/SEGMENT.gz.sealed     within a tick of being archived, so a
///                                                                             recovery from the store loses ~2 min at
///                                                                             most, whatever the bulk lane is sending
///   bulk lane   base/STAMP/* (finished)      ─► base/SYSID/STAMP/FILE.sealed, "finished" last
///               verified database backups their store does not hold yet (taken while it could not be reached),
///               each to its own store (a database's, or this one)
///               the platform's state, daily  ─► platform/STAMP/... (PlatformBackup)
///               hourly, retention (OffsitePruner; a failure there is its own, never a failed copy), and dead
///               multipart uploads aborted in each database's own store too
///
/// WAL, base backups and snapshots go to the platform-wide store only (a cluster's WAL is one stream for all its
/// databases; restore-platform starts from that store). Without a platform-wide store the WAL lane rests and the bulk
/// lane still copies each database's pending backups to its own store and prunes those stores.
///
/// SYSID is the cluster's system identifier: a cluster made anew on another machine numbers its WAL from the start
/// again and must never overwrite the old one's. Each object is recorded as shipped only after it was read back and
/// matched. A failing lane is one "offsite.copy-failed" event per spell (and the "offsite" alert) and is simply tried
/// again next tick; nothing local is deleted for the store's sake. The spell ends ("offsite.copy-recovered") only once
/// both lanes' last rounds worked: the WAL lane working every 15 s must not hide a base backup that keeps failing.
/// `slipway storage sync` runs both lanes once (<see cref="RunAsync"/>).</summary>
internal sealed partial class OffsiteShipper(
    OffsiteStorages storages, BackupKeyring keys, ShippedObjects shipped, PlatformBackup platform, PostgresCluster cluster, PointInTimeRecovery pitr,
    OffsiteBackupStorage backups, DatabaseStore databases, OffsiteHealth health, OffsitePruner pruner, DatabasesOptions databaseOptions, OffsiteOptions options, TimeProvider clock,
    ILogger<OffsiteShipper> logger)
    : BackgroundService
{
    private readonly Lane _wal = new("WAL");
    private readonly Lane _bulk = new("bulk");
    private readonly Lock _health = new();
    private DateTimeOffset _pruned = DateTimeOffset.MinValue;
    private DateTimeOffset _prunedDatabaseStores = DateTimeOffset.MinValue;
    private string? _systemId;

    private string Scratch => Path.Combine(databaseOptions.DataDir, "run", "offsite");

    public override void Dispose()
    {
        base.Dispose();
        _wal.Gate.Dispose();
        _bulk.Gate.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What a stopped round left: the state's and the master key's plain copies among it.
        if (Directory.Exists(Scratch) && !RestoreMark.IsPending(databaseOptions.DataDir))
        {
            Directory.Delete(Scratch, recursive: true);
        }
        await Task.WhenAll(
            LoopAsync(_wal, (storage, token) => storage is null ? Task.CompletedTask : ShipWalAsync(storage, token), stoppingToken),
            LoopAsync(_bulk, (storage, token) => ShipBulkAsync(storage, platformNow: false, token), stoppingToken));
    }

    private async Task LoopAsync(Lane lane, Func<OffsiteStorage?, CancellationToken, Task> round, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ShipTick, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (!Restoring(asked: false) && storages.List().Count > 0)
                    {
                        await round(storages.Default(), stoppingToken);
                    }
                }
                catch (Exception e) when (OffsiteHealth.IsOperational(e))
                {
                    // Recorded by the round; tried again next tick.
                }
#pragma warning disable CA1031 // a bug in one round must not stop the platform: logged with its stack trace, tried again next tick
                catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    LogBug(logger, lane.Name, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Both lanes once, one after the other: whatever is not in the store yet goes now, and the platform's state
    /// too, whether or not a day has passed since its last copy (`slipway storage sync`).</summary>
    public async Task<ShipReport> RunAsync(bool platformNow, CancellationToken token)
    {
        Restoring(asked: true);
        if (storages.List().Count == 0)
        {
            throw new UserException("No off-site store: add one first (printf '%s\\n%s\\n' KEY SECRET | slipway storage add offsite --endpoint URL --bucket B).");
        }
        var storage = storages.Default();
        var wal = 0;
        Exception? walFailed = null;
        try
        {
            wal = storage is null ? 0 : await ShipWalAsync(storage, token);
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e))
        {
            walFailed = e; // the bulk lane still goes: the databases' own stores do not depend on this one
        }
        var (bases, pending, snapshot) = await ShipBulkAsync(storage, platformNow, token);
        if (walFailed is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(walFailed);
        }
        return new ShipReport(storage?.Name, wal, bases, pending, snapshot, health.Failing);
    }

    /// <summary>Whether a restore-platform is still being finished (copies wait for it; a user error when
    /// <paramref name="asked"/> for by `storage sync`).</summary>
    private bool Restoring(bool asked)
    {
        if (!RestoreMark.IsPending(databaseOptions.DataDir))
        {
            return false;
        }
        return asked
            ? throw new UserException("The platform is still being restored (restore-platform): copies to the store start once it is done; 'slipway events' follows it.", 409)
            : true;
    }

    /// <summary>The WAL lane: every archived segment the store does not hold yet.</summary>
    private async Task<int> ShipWalAsync(OffsiteStorage storage, CancellationToken token)
    {
        await _wal.Gate.WaitAsync(token);
        try
        {
            return await RoundAsync(_wal, storage, (bucket, copying) => ShipSegmentsAsync(bucket, storage, copying), token);
        }
        finally
        {
            _wal.Gate.Release();
        }
    }

    private async Task<int> ShipSegmentsAsync(S3Bucket bucket, OffsiteStorage storage, CancellationToken token)
    {
        if (await SystemAsync(token) is not { } system)
        {
            return 0;
        }
        var done = shipped.Keys(storage.Name, $"wal/{system}/");
        var wal = 0;
        foreach (var segment in Directory.GetFiles(cluster.ArchiveDir, "*.gz").Order(StringComparer.Ordinal))
        {
            var key = $"wal/{system}/{Path.GetFileName(segment)}.sealed";
            if (!done.Contains(key))
            {
                await SealedObjects.PutAsync(bucket, key, segment, keys.Current, Scratch, token);
                shipped.Add(storage.Name, key, new FileInfo(segment).Length);
                wal++;
            }
        }
        if (wal > 0)
        {
            LogShippedWal(logger, storage.Name, wal);
        }
        return wal;
    }

    /// <summary>The bulk lane: pending database backups to the databases' own stores (each failing on its own: a
    /// platform-wide store that is down or slow does not hold them back) and their dead uploads when due; then, when
    /// there is a platform-wide store, finished base backups, the other pending backups, the platform's state when due
    /// (or <paramref name="platformNow"/>), and its retention when due.</summary>
    private async Task<(int Bases, int Pending, string? Snapshot)> ShipBulkAsync(OffsiteStorage? storage, bool platformNow, CancellationToken token)
    {
        await _bulk.Gate.WaitAsync(token);
        try
        {
            var verified = databases.ListVerifiedBackups();
            var toOwn = await backups.ShipPendingAsync(verified, PendingTo.DatabaseStores, token);
            if (clock.GetUtcNow() - _prunedDatabaseStores >= options.PruneInterval)
            {
                _prunedDatabaseStores = clock.GetUtcNow();
                foreach (var own in storages.List().Where(s => s.Scope is not null))
                {
                    // Only dead multipart uploads: its objects are database backups, which go with their records.
                    await pruner.AbortDeadUploadsOrReportAsync(storages.Settings(own), own.Name, token);
                }
            }
            if (storage is null)
            {
                return (0, toOwn, null);
            }
            var (bases, toWide, snapshot) = await RoundAsync(_bulk, storage, (bucket, copying) => ShipPlatformWideAsync(bucket, storage, verified, platformNow, copying), token);
            return (bases, toOwn + toWide, snapshot);
        }
        finally
        {
            _bulk.Gate.Release();
        }
    }

    private async Task<(int Bases, int Pending, string? Snapshot)> ShipPlatformWideAsync(S3Bucket bucket, OffsiteStorage storage, IReadOnlyList<BackupRecord> verified,
        bool platformNow, CancellationToken token)
    {
        var system = await SystemAsync(token);
        var bases = system is null ? 0 : await ShipBasesAsync(bucket, storage.Name, system, token);
        var pending = await backups.ShipPendingAsync(verified, PendingTo.PlatformWide, token);
        PlatformManifest? snapshot = null;
        var last = shipped.Newest(storage.Name, PlatformManifest.Prefix);
        if (platformNow || last is null || clock.GetUtcNow() - last >= options.PlatformInterval)
        {
            snapshot = await platform.TakeAsync(bucket, storage.Name, system, token);
            LogPlatform(logger, storage.Name, snapshot.Stamp);
        }
        // Not while the cluster that is here is down (its id unknown): its base backups and WAL must never look
        // like another machine's. Due again only a prune interval later, whether it works or not: a failing one is
        // not retried with a full listing every tick.
        if (clock.GetUtcNow() - _pruned >= options.PruneInterval && (system is not null || !cluster.IsInitialized))
        {
            _pruned = clock.GetUtcNow();
            await pruner.PruneOrReportAsync(bucket, storage.Name, system, token);
        }
        return (bases, pending, snapshot?.Stamp);
    }

    private async Task<int> ShipBasesAsync(S3Bucket bucket, string storage, string system, CancellationToken token)
    {
        var bases = 0;
        var done = shipped.Keys(storage, $"base/{system}/");
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
                    await SealedObjects.PutAsync(bucket, key, file, keys.Current, Scratch, token);
                    shipped.Add(storage, key, new FileInfo(file).Length);
                }
            }
            await SealedObjects.PutAsync(bucket, finished, Path.Combine(dir, "finished"), keys.Current, Scratch, token);
            shipped.Add(storage, finished, 0);
            bases++;
        }
        if (bases > 0)
        {
            LogShippedBases(logger, storage, bases);
        }
        return bases;
    }

    /// <summary>One round of <paramref name="lane"/> to the platform-wide store (the caller holds the lane's lock). Health
    /// sees the two lanes as one: any failure starts a spell (or goes on with it), and it ends only when the other lane
    /// is not failing either.</summary>
    private async Task<T> RoundAsync<T>(Lane lane, OffsiteStorage storage, Func<S3Bucket, CancellationToken, Task<T>> round, CancellationToken token)
    {
        if (backups.TryUse(storage, token) is not { } use)
        {
            return default!; // being removed (`storage rm`): nothing goes to it
        }
        using var _ = use;
        try
        {
            using var bucket = new S3Bucket(storages.Settings(storage));
            var result = await round(bucket, use.Token);
            lock (_health)
            {
                lane.Failing = false;
                if (!_wal.Failing && !_bulk.Failing)
                {
                    health.Worked(storage.Name);
                }
            }
            return result;
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e))
        {
            lock (_health)
            {
                lane.Failing = true;
                health.Failed(storage.Name, e);
            }
            throw;
        }
        catch (OperationCanceledException) when (use.Closed)
        {
            return default!; // removed under it: what it was copying stays here, recorded nowhere
        }
    }

    /// <summary>The system identifier of the cluster here, or null while none runs with an archive.</summary>
    private async Task<string?> SystemAsync(CancellationToken token)
    {
        if (!cluster.IsInitialized || cluster.Pid is null || !Directory.Exists(cluster.ArchiveDir))
        {
            return null;
        }
        return _systemId ??= await SystemIdentifierAsync(token);
    }

    private async Task<string> SystemIdentifierAsync(CancellationToken token)
    {
        var target = await cluster.EnsureRunningAsync(token);
        await using var connection = await target.OpenAsync(null, token);
        await using var command = new NpgsqlCommand("select system_identifier::text from pg_control_system()", connection);
        return (string)(await command.ExecuteScalarAsync(token))!;
    }

    /// <summary>A lane's lock, and whether its last round failed (read and written under the shipper's health lock).</summary>
    private sealed class Lane(string name)
    {
        public string Name { get; } = name;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public bool Failing { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A round of off-site copies ({Lane} lane) failed with an internal error")]
    private static partial void LogBug(ILogger logger, string lane, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied to off-site store {Storage}: {Wal} WAL segment(s)")]
    private static partial void LogShippedWal(ILogger logger, string storage, int wal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Copied to off-site store {Storage}: {Bases} base backup(s)")]
    private static partial void LogShippedBases(ILogger logger, string storage, int bases);

    [LoggerMessage(Level = LogLevel.Information, Message = "Platform snapshot {Stamp} copied to off-site store {Storage}")]
    private static partial void LogPlatform(ILogger logger, string storage, string stamp);
}

/// <summary>What one round copied.</summary>
/// <param name="Storage">The platform-wide store, or null when only databases' own stores exist.</param>
/// <param name="Failing">The stores whose copies fail after it (a database store's failure does not fail the round).</param>
internal sealed record ShipReport(string? Storage, int WalSegments, int BaseBackups, int DatabaseBackups, string? PlatformSnapshot, IReadOnlyList<CopyFailure> Failing);
