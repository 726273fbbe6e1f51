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
///   each postgres database of the managed cluster ─► its role and database made again (same names, same sealed
///       password, so the apps' DATABASE_URL holds) ─► its newest verified backup, read from the store (no local copy
///       survives a lost machine) ─► pg_restore
///   each environment's database URL variable ─► pointed at this machine's servers (their ports are new)
///   each environment with a live deployment ─► deployed again from its kept source (the build directories did not
///       travel), with its restored config; its release command runs against the restored database
///
/// Each step is an event on the platform or the app; one that fails is said and the others go on. The mark goes last,
/// so a platform killed half-way does the rest (a database already there is left as it is) at its next start.</summary>
internal sealed partial class RestoredPlatform(
    Store store, DatabaseStore databases, PostgresCluster cluster, IBackupStorage storage, Config.Keyring keyring, DatabaseProvisioner provisioner,
    Config.ConfigVars config, Deploy.DeployEngine engine,
    Deploy.BuildDirectories builds, DatabasesOptions options, IHostApplicationLifetime lifetime, ILogger<RestoredPlatform> logger)
    : BackgroundService
{
    public const string MarkFile = "restore-pending.json";

    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a pending restore has finished (at once when there was none).</summary>
    public Task Done => _done.Task;

    /// <summary>The deployments started to bring the apps back.</summary>
    public List<DeploymentRecord> Redeployments { get; } = [];

    private string Mark => Path.Combine(options.DataDir, MarkFile);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (!File.Exists(Mark))
            {
                return;
            }
            // After Recovery parked the apps whose builds did not travel: the deployments below replace them.
            await Task.Delay(Timeout.Infinite, lifetime.ApplicationStarted).ContinueWith(_ => { }, TaskScheduler.Default);
            var pending = JsonSerializer.Deserialize<RestorePending>(await File.ReadAllBytesAsync(Mark, stoppingToken), Json)!;
            store.AddEvent(null, null, "platform.restore-started", $"Restoring the platform from snapshot {pending.Snapshot}: databases, then apps.");
            var failures = 0;
            foreach (var db in databases.ListAll().Where(d => d.Type == DatabaseRecord.Postgres && d.Server == DatabaseRecord.Managed))
            {
                failures += await RestoreDatabaseAsync(db, stoppingToken) ? 0 : 1;
            }
            // The new machine's servers listen on ports of their own: each environment's URL variable says where they are now.
            foreach (var db in databases.ListAll().Where(d => d.App.Length > 0 && d.Server == DatabaseRecord.Managed))
            {
                failures += await PointUrlAsync(db, stoppingToken) ? 0 : 1;
            }
            foreach (var app in store.ListApps().Where(a => a.LiveDeploymentId is not null))
            {
                failures += Redeploy(app) ? 0 : 1;
            }
            File.Delete(Mark);
            store.AddEvent(null, null, "platform.restored", failures == 0
                ? $"The platform was restored from snapshot {pending.Snapshot}: every database from its newest verified backup, every app deployed again from its kept source."
                : $"The platform was restored from snapshot {pending.Snapshot} with {failures} problem(s); the events before this one name them.");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    private async Task<bool> RestoreDatabaseAsync(DatabaseRecord db, CancellationToken token)
    {
        var owner = db.App.Length > 0 ? db.App : null;
        try
        {
            var live = await cluster.EnsureRunningAsync(token);
            await using (var admin = await live.OpenAsync(null, token))
            {
                if (await DatabaseProvisioner.Scalar(admin, $"select count(*) from pg_database where datname = {Sql.Literal(db.DbName)}", token) > 0)
                {
                    return true; // restored before a stop, or made since
                }
            }
            var backup = databases.ListBackupsOf(db.Id).FirstOrDefault(b => b.Status == BackupStatus.Verified && b.Location is not null);
            await DatabaseProvisioner.CreateRoleAndDatabaseAsync(live, db.DbName, keyring.Decrypt(db.SecretEnc), token);
            if (backup is null)
            {
                store.AddEvent(owner, null, "database.restore-empty", $"db {db.Name} had no verified backup: it was made again empty.");
                return false;
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
            store.AddEvent(owner, null, "database.restore-failed", $"db {db.Name} could not be restored: {e.Message}");
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

    private bool Redeploy(AppRecord app)
    {
        var live = store.FindDeployment(app.LiveDeploymentId!);
        var build = live?.BuildId is { } id ? store.FindBuild(id) : null;
        if (live is null || build is null || !Directory.Exists(builds.SourceOf(build)))
        {
            store.AddEvent(app.Name, app.LiveDeploymentId, "app.restore-failed",
                $"its live build's source was not in the snapshot; deploy it again: slipway deploy DIR {app.Ref.Flags}");
            return false;
        }
        try
        {
            var deployment = engine.Enqueue(new Deploy.DeployRequest(app.Ref, builds.SourceOf(build))
            {
                Shown = live.Source, Commit = live.Commit,
            });
            Redeployments.Add(deployment);
            store.AddEvent(app.Name, deployment.Id, "app.restoring", $"deploying the restored source of {live.Id} ({live.Source}) again as {deployment.Id}");
            return true;
        }
        catch (UserException e)
        {
            store.AddEvent(app.Name, app.LiveDeploymentId, "app.restore-failed", $"deploying its restored source again failed: {e.Message}");
            return false;
        }
    }

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored db {Name} from backup {BackupId}")]
    private static partial void LogDatabase(ILogger logger, string name, string backupId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restoring db {Name} failed: {Reason}")]
    private static partial void LogDatabaseFailed(ILogger logger, string name, string reason);
}

/// <summary>DATA/restore-pending.json: what restore-platform brought back, for the first start to finish.</summary>
internal sealed record RestorePending(string Snapshot, DateTimeOffset RestoredAt);
