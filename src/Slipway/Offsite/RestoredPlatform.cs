using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>The second half of `slipway restore-platform`, at the first start of the restored platform (which
/// restore-platform marks with DATA/restore-pending.json, listing the snapshot's databases and apps):
///
///   the snapshot's postgres databases of the managed cluster ─► recovered together from the store's newest base backup
///       of the snapshot's cluster and the WAL shipped after it, to its end or to --at (StoreRecovery), each with its role
///       and sealed password as before; a database that could not be copied, or all when the store has no base backup,
///       from its newest verified backup (before --at) that a store holds or that is here, a newer one that never
///       left the lost machine named ─► pg_restore
///   each environment's database URL variable ─► pointed at this machine's servers (their ports are new)
///   each environment with a live deployment ─► deployed again from its kept source (the build directories did not
///       travel), with its restored config; its release command runs against the restored database
///
/// Each step is an event on the platform or the app; one that fails is said with what to run, and the others go on. A
/// step is settled once (done or failed) and recorded in the mark; the mark goes at the end of the pass, so a platform
/// killed half-way does the steps not settled yet at its next start, and nothing is ever restored over twice.</summary>
internal sealed partial class RestoredPlatform(
    Store store, DatabaseStore databases, PostgresCluster cluster, IBackupStorage storage, Config.Keyring keyring, DatabaseProvisioner provisioner,
    Config.ConfigVars config, StoreRecovery recovery, OffsiteStorages storages, ShippedObjects shipped, LocalBackupStorage local, Deploy.DeployEngine engine,
    Deploy.BuildDirectories builds, DatabasesOptions options, IHostApplicationLifetime lifetime, ILogger<RestoredPlatform> logger)
    : BackgroundService
{
    public const string MarkFile = RestoreMark.FileName;

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a pending restore has run (at once when there was none).</summary>
    public Task Done => _done.Task;

    /// <summary>The deployments started to bring the apps back.</summary>
    public List<DeploymentRecord> Redeployments { get; } = [];

    private string Mark => RestoreMark.PathIn(options.DataDir);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!File.Exists(Mark))
            {
                return;
            }
            // After Recovery parked the apps whose builds did not travel: the deployments below replace them.
            using (var started = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStarted, stoppingToken))
            {
                await Task.Delay(Timeout.Infinite, started.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            stoppingToken.ThrowIfCancellationRequested();
            await RestoreAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // a bug here must not stop the platform (and again at every start): logged, the mark stays for the next start
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogBug(logger, e);
            store.AddEvent(null, null, "platform.restore-failed", $"Restoring the platform stopped with an internal error ({e.Message}); it is tried again at the next start.");
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    /// <summary>One pass over the steps restore-platform listed (the snapshot's managed databases and its apps with a live
    /// release; nothing made since). Each step is recorded in the mark once settled, done or failed, so a platform
    /// stopped half-way goes on with the steps not settled yet (a database half-loaded when it stopped is dropped and
    /// loaded again). No settled step runs twice: a database the first start could not restore may since have been
    /// restored by hand and written to, and dropping it again would lose that. The mark goes at the end of the pass,
    /// whatever failed (each failure is an event that says what to run), and backups and copies start again.</summary>
    private async Task RestoreAsync(CancellationToken token)
    {
        var pending = JsonSerializer.Deserialize<RestorePending>(await File.ReadAllBytesAsync(Mark, token), Json)!;
        var settled = new HashSet<string>((pending.Done ?? []).Concat(pending.Failed ?? []), StringComparer.Ordinal);
        var failed = new List<string>(pending.Failed ?? []);
        store.AddEvent(null, null, "platform.restore-started", settled.Count == 0
            ? $"Restoring the platform from snapshot {pending.Snapshot}: databases, then apps."
            : $"Going on restoring the platform from snapshot {pending.Snapshot} ({settled.Count} step(s) were settled before the last stop).");
        async Task SettleAsync(string step, bool ok)
        {
            settled.Add(step);
            if (!ok)
            {
                failed.Add(step);
            }
            pending = pending with { Done = [.. settled.Except(failed)], Failed = [.. failed] };
            await File.WriteAllBytesAsync(Mark, JsonSerializer.SerializeToUtf8Bytes(pending, Json), token);
        }
        var listed = pending.Databases is { } ids ? ids.ToHashSet(StringComparer.Ordinal) : null;
        var managed = databases.ListAll()
            .Where(d => d.Type == DatabaseRecord.Postgres && d.Server == DatabaseRecord.Managed && (listed?.Contains(d.Id) ?? true) && !settled.Contains("db:" + d.Id))
            .ToList();
        // The store's WAL first: it reaches minutes before the loss, a logical backup only its own day.
        var fallback = managed;
        DateTimeOffset? replayedTo = null;
        try
        {
            if (await recovery.RecoverAsync(managed, pending.SystemId, pending.At, step => LogStep(logger, step), token) is { } result)
            {
                replayedTo = result.Short ? result.LastCommit ?? DateTimeOffset.MinValue : null;
                foreach (var db in result.Copied)
                {
                    // Replay that stopped at a gap keeps what it reached unless a logical backup is newer.
                    if (result.Short && Restorable(db, pending.At).Backup is { } newer && UtcTime.Parse(newer.StartedAt) > (result.LastCommit ?? DateTimeOffset.MinValue))
                    {
                        continue;
                    }
                    store.AddEvent(db.App.Length > 0 ? db.App : null, null, result.Short ? "database.restore-partial" : "database.restored",
                        $"db {db.Name} restored to {result.Reached}.");
                    await SettleAsync("db:" + db.Id, ok: true);
                }
                foreach (var (db, why) in result.Failed)
                {
                    store.AddEvent(db.App.Length > 0 ? db.App : null, null, "database.restore-failed",
                        $"db {db.Name} could not be copied from the cluster recovered from the store's WAL ({why}); it is restored from its newest verified backup instead.");
                }
                fallback = managed.Where(d => !settled.Contains("db:" + d.Id)).ToList();
            }
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e) || e is NpgsqlException)
        {
            store.AddEvent(null, null, "database.restore-failed",
                $"Recovering the databases from the store's base backup and WAL failed ({e.Message}); each is restored from its newest verified backup instead.");
            LogDatabaseFailed(logger, "(all, from the WAL)", e.Message);
        }
        foreach (var db in fallback.Where(d => !settled.Contains("db:" + d.Id)))
        {
            await SettleAsync("db:" + db.Id, await RestoreDatabaseAsync(db, pending.At, replayedTo, token));
        }
        // The new machine's servers listen on ports of their own: each environment's URL variable says where they are now.
        foreach (var db in databases.ListAll().Where(d => d.App.Length > 0 && d.Server == DatabaseRecord.Managed && (listed?.Contains(d.Id) ?? true)))
        {
            if (!await PointUrlAsync(db, token))
            {
                failed.Add("url:" + db.Id);
            }
        }
        var apps = pending.Apps is { } names ? names.ToHashSet(StringComparer.Ordinal) : null;
        var deploying = new List<(AppRecord App, DeploymentRecord Deployment)>();
        foreach (var app in store.ListApps().Where(a => a.LiveDeploymentId is not null && (apps?.Contains(a.Name) ?? true) && !settled.Contains("app:" + a.Name)))
        {
            if (Redeploy(app) is { } deployment)
            {
                deploying.Add((app, deployment));
            }
            else
            {
                await SettleAsync("app:" + app.Name, ok: false);
            }
        }
        foreach (var (app, deployment) in deploying)
        {
            await engine.WaitAsync(deployment.Id);
            var live = store.FindDeployment(deployment.Id)?.Status == DeploymentStatus.Live;
            if (!live)
            {
                store.AddEvent(app.Name, deployment.Id, "app.restore-failed",
                    $"deploying its restored source again did not go live ('slipway logs --deployment {deployment.Id}' says why); fix it and deploy again: slipway deploy DIR {app.Ref.Flags}");
            }
            await SettleAsync("app:" + app.Name, live);
        }
        File.Delete(Mark);
        if (failed.Count == 0)
        {
            store.AddEvent(null, null, "platform.restored",
                $"The platform was restored from snapshot {pending.Snapshot}: every database and every app with a live release. Backups and off-site copies start again.");
        }
        else
        {
            store.AddEvent(null, null, "platform.restore-incomplete",
                $"Restoring the platform from snapshot {pending.Snapshot} left {failed.Count} step(s) undone ({string.Join(", ", failed)}); the events before this one " +
                "(here and in 'slipway status --app APP') say why and what to run. They are not tried again by themselves. Backups and off-site copies start again.");
        }
    }

    /// <summary>The backup to restore <paramref name="db"/> from, and the newer ones passed over (the rule below): a backup
    /// can be read when a store this platform knows is recorded as holding it (the snapshot's state keeps those
    /// records), or when its file is here.</summary>
    private (BackupRecord? Backup, IReadOnlyList<BackupRecord> Skipped) Restorable(DatabaseRecord db, DateTimeOffset? at)
    {
        var known = storages.List().Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        return Restorable(databases.ListBackupsOf(db.Id), at,
            b => File.Exists(local.PathOf(b.Location!)) || shipped.Holders(OffsiteBackupStorage.RemoteKey(b.Location!)).Overlaps(known));
    }

    /// <summary>The backup to restore a database from: the newest verified one (taken before <paramref name="at"/>, when
    /// given) that <paramref name="readable"/> says can be read; and the newer verified ones passed over, newest first.
    /// A database's own store failing does not stop the daily snapshot, so the snapshot's state may name as its newest
    /// verified backup one whose copy never left the lost machine: restoring that would fail, though older copies are in
    /// the store.</summary>
    internal static (BackupRecord? Backup, IReadOnlyList<BackupRecord> Skipped) Restorable(IEnumerable<BackupRecord> backups, DateTimeOffset? at,
        Func<BackupRecord, bool> readable)
    {
        var skipped = new List<BackupRecord>();
        foreach (var backup in backups
            .Where(b => b.Status == BackupStatus.Verified && b.Location is not null && (at is null || UtcTime.Parse(b.StartedAt) <= at.Value))
            .OrderByDescending(b => UtcTime.Parse(b.StartedAt)).ThenByDescending(b => b.Id, StringComparer.Ordinal))
        {
            if (readable(backup))
            {
                return (backup, skipped);
            }
            skipped.Add(backup);
        }
        return (null, skipped);
    }

    private async Task<bool> RestoreDatabaseAsync(DatabaseRecord db, DateTimeOffset? at, DateTimeOffset? replayedTo, CancellationToken token)
    {
        var owner = db.App.Length > 0 ? db.App : null;
        try
        {
            var live = await cluster.EnsureRunningAsync(token);
            // Not recorded as done: a database of that name is what a stop left half-loaded.
            await DatabaseRestore.DropQuietlyAsync(live, db.DbName, null);
            var (backup, skipped) = Restorable(db, at);
            // Named, not silently taken for the newest: a backup newer than the one restored is lost with the machine.
            var unread = skipped.Count == 0 ? "" : $"{string.Join(", ", skipped.Select(b => b.Id))} ({skipped.Count} verified backup(s) in no store this platform knows " +
                "and not on this machine: their copies never left the lost machine)";
            if (backup is null && at is not null && databases.ListBackupsOf(db.Id).Any(b => b.Status == BackupStatus.Verified))
            {
                throw new UserException($"it has no verified backup taken before --at {UtcTime.Format(at.Value)}" + (skipped.Count > 0 ? $" that can be read, only {unread}" : "") +
                    ", and bringing back a later one would bring back what --at is meant to undo");
            }
            if (backup is null && skipped.Count > 0)
            {
                throw new UserException($"none of its backups can be read: {unread}");
            }
            await DatabaseProvisioner.CreateRoleAndDatabaseAsync(live, db.DbName, keyring.Decrypt(db.SecretEnc), token);
            if (backup is null)
            {
                store.AddEvent(owner, null, "database.restore-empty", $"db {db.Name} had no verified backup: it was made again, empty.");
                return true;
            }
            using (var fetched = await storage.FetchAsync(backup.Location!, Path.Combine(options.DataDir, "run", "offsite"), token))
            {
                await DatabaseRestore.LoadAsync(live, db.DbName, db.RoleName, fetched.Path, token);
            }
            store.AddEvent(owner, null, "database.restored", $"db {db.Name} restored from backup {backup.Id} taken {backup.StartedAt}" +
                (replayedTo is not null ? " (newer than where the store's WAL reached)." : ".") + (skipped.Count > 0 ? $" Newer, passed over: {unread}." : ""));
            LogDatabase(logger, db.Name, backup.Id);
            return true;
        }
        catch (Exception e) when (OffsiteHealth.IsOperational(e) || e is NpgsqlException)
        {
            store.AddEvent(owner, null, "database.restore-failed",
                $"db {db.Name} could not be restored: {e.Message}. It is not tried again by itself: restore one of its backups when the cause is fixed: " +
                $"slipway db backups --app {owner ?? db.BaseApp}, then slipway db restore ID --app {owner ?? db.BaseApp}");
            LogDatabaseFailed(logger, db.Name, e.Message);
            return false;
        }
    }

    private async Task<bool> PointUrlAsync(DatabaseRecord db, CancellationToken token)
    {
        try
        {
            config.Change(db.App, new Dictionary<string, string> { [db.VarName] = await provisioner.UrlAsync(db, token) }, secret: true, []);
            return true;
        }
        catch (Exception e) when (e is UserException or NpgsqlException or IOException)
        {
            store.AddEvent(db.App, null, "database.restore-failed", $"{db.VarName} of db {db.Name} could not be pointed at the new server: {e.Message}");
            return false;
        }
    }

    private DeploymentRecord? Redeploy(AppRecord app)
    {
        var live = store.FindDeployment(app.LiveDeploymentId!);
        var build = live?.BuildId is { } id ? store.FindBuild(id) : null;
        if (live is null || build is null || !Directory.Exists(builds.SourceOf(build)))
        {
            store.AddEvent(app.Name, app.LiveDeploymentId, "app.restore-failed",
                $"its live build's source was not in the snapshot; deploy it again: slipway deploy DIR {app.Ref.Flags}");
            return null;
        }
        try
        {
            var deployment = engine.Enqueue(new Deploy.DeployRequest(app.Ref, builds.SourceOf(build))
            {
                Shown = live.Source, Commit = live.Commit, RequestedBy = "platform restore",
            });
            Redeployments.Add(deployment);
            store.AddEvent(app.Name, deployment.Id, "app.restoring", $"deploying the restored source of {live.Id} ({live.Source}) again as {deployment.Id}");
            return deployment;
        }
        catch (UserException e)
        {
            store.AddEvent(app.Name, app.LiveDeploymentId, "app.restore-failed", $"deploying its restored source again failed: {e.Message}");
            return null;
        }
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [LoggerMessage(Level = LogLevel.Error, Message = "Restoring the platform failed with an internal error")]
    private static partial void LogBug(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restoring the platform: {Step}")]
    private static partial void LogStep(ILogger logger, string step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored db {Name} from backup {BackupId}")]
    private static partial void LogDatabase(ILogger logger, string name, string backupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restoring db {Name} failed: {Reason}")]
    private static partial void LogDatabaseFailed(ILogger logger, string name, string reason);
}

/// <summary>DATA/restore-pending.json: what restore-platform brought back, for the first start to finish.</summary>
/// <param name="Done">Steps done so far ("db:ID", "app:NAME"), for a start after a stop half-way.</param>
/// <param name="Failed">Steps that failed: settled too, never run again by themselves.</param>
/// <param name="At">restore-platform --at: the moment the databases are recovered to (null: as late as the store allows).</param>
/// <param name="Databases">The ids of the snapshot's managed PostgreSQL databases: the only ones the restore touches.</param>
/// <param name="Apps">The snapshot's apps (environment rows) with a live release: the only ones deployed again.</param>
/// <param name="SystemId">The snapshot's cluster: the base backups and WAL recovered are that cluster's.</param>
internal sealed record RestorePending(string Snapshot, DateTimeOffset RestoredAt, IReadOnlyList<string>? Done = null, DateTimeOffset? At = null,
    IReadOnlyList<string>? Failed = null, IReadOnlyList<string>? Databases = null, IReadOnlyList<string>? Apps = null, string? SystemId = null);
