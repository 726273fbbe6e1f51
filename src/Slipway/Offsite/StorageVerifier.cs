using Amazon.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>`slipway storage verify`, and weekly on its own: for each database, its newest verified backup is read back
/// from the store (not the local copy), opened with the backup key, checksummed, restored into a scratch database and
/// its row counts compared with the dump's. A failure is a "offsite.verify-failed" event and the "offsite" alert until a
/// later run passes.</summary>
internal sealed partial class StorageVerifier(
    OffsiteStorages storages, BackupKeyring keys, DatabaseStore databases, BackupVerifier verifier, Store store, OffsiteOptions options, DatabasesOptions dataOptions,
    TimeProvider clock, ILogger<StorageVerifier> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The last run's failure, or null when it passed (or none ran).</summary>
    public VerifyFailure? LastFailure { get; private set; }

    public override void Dispose()
    {
        base.Dispose();
        _gate.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(10), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var storage = storages.Default();
                var last = store.LastEventAt("offsite.verified", "offsite.verify-failed");
                if (storage is null || RestoreMark.IsPending(dataOptions.DataDir) || (last is { } at && clock.GetUtcNow() - at < options.VerifyInterval))
                {
                    continue;
                }
                try
                {
                    await VerifyAsync(stoppingToken);
                }
                catch (Exception e) when (e is UserException or AmazonServiceException or HttpRequestException or IOException or NpgsqlException)
                {
                    LogFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task<IReadOnlyList<VerifiedCopy>> VerifyAsync(CancellationToken token)
    {
        var storage = storages.Default()
            ?? throw new UserException("No off-site store: add one first (printf '%s\\n%s\\n' KEY SECRET | slipway storage add offsite --endpoint URL --bucket B).");
        await _gate.WaitAsync(token);
        try
        {
            var results = new List<VerifiedCopy>();
            using var bucket = new S3Bucket(storages.Settings(storage));
            var there = (await bucket.ListAsync("databases/", token)).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var db in databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres))
            {
                var verified = databases.ListBackupsOf(db.Id).Where(b => b.Status == BackupStatus.Verified && b.Location is not null).ToList();
                var backup = verified.FirstOrDefault(b => there.Contains(OffsiteBackupStorage.RemoteKey(b.Location!)));
                if (backup is null)
                {
                    if (verified.Count > 0)
                    {
                        // Backed up, but not off the machine: a lost machine would lose it.
                        results.Add(new VerifiedCopy(db.App.Length > 0 ? db.App : "(detached)", db.Name, verified[0].Id, false,
                            "no backup of it is in the store (its newest is on this machine only; 'slipway storage sync' copies it)", 0));
                    }
                    continue;
                }
                var started = clock.GetUtcNow();
                var plain = Path.Combine(verifier.ScratchDir, Guid.NewGuid().ToString("N") + ".dump");
                string? problem;
                try
                {
                    await SealedObjects.GetAsync(bucket, OffsiteBackupStorage.RemoteKey(backup.Location!), plain, keys.Find, verifier.ScratchDir, token);
                    problem = await verifier.VerifyFileAsync(backup, db.Server, plain, token);
                }
                catch (UserException e)
                {
                    problem = e.Message;
                }
                finally
                {
                    File.Delete(plain);
                }
                results.Add(new VerifiedCopy(db.App.Length > 0 ? db.App : "(detached)", db.Name, backup.Id, problem is null, problem,
                    (long)(clock.GetUtcNow() - started).TotalMilliseconds));
            }
            var failed = results.Where(r => !r.Ok).ToList();
            if (failed.Count > 0)
            {
                var reason = string.Join("; ", failed.Select(f => $"{f.App} db {f.Database} backup {f.BackupId}: {f.Problem}"));
                LastFailure = new VerifyFailure(storage.Name, reason, clock.GetUtcNow());
                store.AddEvent(null, null, "offsite.verify-failed", $"Off-site backups in store {storage.Name} did not restore: {reason}");
            }
            else
            {
                LastFailure = null;
                store.AddEvent(null, null, "offsite.verified",
                    $"The newest off-site backup of each of {results.Count} database(s) in store {storage.Name} was read back, restored into scratch and its row counts matched.");
            }
            return results;
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Verifying the off-site backups failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}

/// <summary>One database's newest off-site backup, read back and restored.</summary>
internal sealed record VerifiedCopy(string App, string Database, string BackupId, bool Ok, string? Problem, long Milliseconds);

/// <summary>A `storage verify` that failed.</summary>
internal sealed record VerifyFailure(string Storage, string Reason, DateTimeOffset At);
