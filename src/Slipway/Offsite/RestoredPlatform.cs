using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Databases;
using Slipway.State;

namespace Slipway.Offsite;

/// <summary>The second half of `slipway restore-platform`, at the first start of the restored platform (which
/// restore-platform marks with DATA/restore-pending.json):
///
///   the postgres databases of the managed cluster ─► recovered together from the store's newest base backup and the
///       WAL shipped after it, to its end or to --at (StoreRecovery), each with its role and sealed password as before;
///       when the store has none, or that fails, each from its newest verified backup in the store ─► pg_restore
///   each environment's database URL variable ─► pointed at this machine's servers (their ports are new)
///   each environment with a live deployment ─► deployed again from its kept source (the build directories did not
///       travel), with its restored config; its release command runs against the restored database
///
/// Each step is an event on the platform or the app; one that fails is said and the others go on. The mark goes last,
/// so a platform killed half-way does the rest (a database already there is left as it is) at its next start.</summary>
internal sealed partial class RestoredPlatform(
    Store store, DatabaseStore databases, PostgresCluster cluster, IBackupStorage storage, Config.Keyring keyring, DatabaseProvisioner provisioner,
    Config.ConfigVars config, StoreRecovery recovery, Deploy.DeployEngine engine,
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

    /// <summary>Each step is recorded in the mark as it is done, so a platform stopped half-way goes on from there: a
    /// database half-loaded when it stopped is dropped and loaded again, an app whose deployment did not go live is
    /// deployed again. The mark goes when every step is done.</summary>
    private async Task RestoreAsync(CancellationToken token)
    {
        var pending = JsonSerializer.Deserialize<RestorePending>(await File.ReadAllBytesAsync(Mark, token), Json)!;
        var done = new HashSet<string>(pending.Done ?? [], StringComparer.Ordinal);
        store.AddEvent(null, null, "platform.restore-started", done.Count == 0
            ? $"Restoring the platform from snapshot {pending.Snapshot}: databases, then apps."
            : $"Going on restoring the platform from snapshot {pending.Snapshot} ({done.Count} step(s) were done before the last stop).");
        async Task DoneAsync(string step)
        {
            done.Add(step);
            await File.WriteAllBytesAsync(Mark, JsonSerializer.SerializeToUtf8Bytes(pending with { Done = [.. done] }, Json), token);
        }
        var failures = 0;
        var managed = databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres && d.Server == DatabaseRecord.Managed && !done.Contains("db:" + d.Id)).ToList();
        // The store's WAL first: it reaches minutes before the loss, a logical backup only its own day.
        try
        {
            if (await recovery.RecoverAsync(managed, pending.At, step => LogStep(logger, step), token) is { } reached)
            {
                foreach (var db in managed)
                {
                    store.AddEvent(db.App.Length > 0 ? db.App : null, null, "database.restored", $"db {db.Name} restored to {reached}.");
                    await DoneAsync("db:" + db.Id);
                }
                managed.Clear();
            }
        }
        catch (Exception e) when (e is UserException or NpgsqlException or IOException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            store.AddEvent(null, null, "database.restore-failed",
                $"Recovering the databases from the store's base backup and WAL failed ({e.Message}); each is restored from its newest verified backup instead.");
            LogDatabaseFailed(logger, "(all, from the WAL)", e.Message);
        }
        foreach (var db in managed.Where(d => !done.Contains("db:" + d.Id)))
        {
            if (await RestoreDatabaseAsync(db, token))
            {
                await DoneAsync("db:" + db.Id);
            }
            else
            {
                failures++;
            }
        }
        // The new machine's servers listen on ports of their own: each environment's URL variable says where they are now.
        foreach (var db in databases.ListAll().Where(d => d.App.Length > 0 && d.Server == DatabaseRecord.Managed))
        {
            failures += await PointUrlAsync(db, token) ? 0 : 1;
        }
        var deploying = new List<(AppRecord App, DeploymentRecord Deployment)>();
        foreach (var app in store.ListApps().Where(a => a.LiveDeploymentId is not null && !done.Contains("app:" + a.Name)))
        {
            if (Redeploy(app) is { } deployment)
            {
                deploying.Add((app, deployment));
            }
            else
            {
                failures++;
            }
        }
        foreach (var (app, deployment) in deploying)
        {
            await engine.WaitAsync(deployment.Id);
            if (store.FindDeployment(deployment.Id)?.Status == DeploymentStatus.Live)
            {
                await DoneAsync("app:" + app.Name);
            }
            else
            {
                failures++;
            }
        }
        if (failures == 0)
        {
            File.Delete(Mark);
            store.AddEvent(null, null, "platform.restored",
                $"The platform was restored from snapshot {pending.Snapshot}: every database from its newest verified backup, every app deployed again from its kept source.");
        }
        else
        {
            store.AddEvent(null, null, "platform.restore-incomplete",
                $"Restoring the platform from snapshot {pending.Snapshot} left {failures} step(s) undone; the events before this one (here and in 'slipway status --app APP') " +
                "say why. Fix what they name and restart the platform: it goes on from there. Backups and off-site copies wait until it is done.");
        }
    }

    private async Task<bool> RestoreDatabaseAsync(DatabaseRecord db, CancellationToken token)
    {
        var owner = db.App.Length > 0 ? db.App : null;
        try
        {
            var live = await cluster.EnsureRunningAsync(token);
            // Not recorded as done: a database of that name is what a stop left half-loaded.
            await DatabaseRestore.DropQuietlyAsync(live, db.DbName, null);
            var backup = databases.ListBackupsOf(db.Id).FirstOrDefault(b => b.Status == BackupStatus.Verified && b.Location is not null);
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
            store.AddEvent(owner, null, "database.restored", $"db {db.Name} restored from backup {backup.Id} taken {backup.StartedAt}.");
            LogDatabase(logger, db.Name, backup.Id);
            return true;
        }
        catch (Exception e) when (e is UserException or NpgsqlException or IOException or Amazon.Runtime.AmazonServiceException or HttpRequestException)
        {
            store.AddEvent(owner, null, "database.restore-failed",
                $"db {db.Name} could not be restored: {e.Message}. Restart the platform to try again, or restore another backup: slipway db backups --app {owner ?? db.BaseApp}");
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
                Shown = live.Source, Commit = live.Commit,
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
/// <param name="Done">Steps done so far ("db:ID", "app:KEY"), for a start after a stop half-way.</param>
/// <param name="At">restore-platform --at: the moment the databases are recovered to (null: as late as the store allows).</param>
internal sealed record RestorePending(string Snapshot, DateTimeOffset RestoredAt, IReadOnlyList<string>? Done = null, DateTimeOffset? At = null);
