using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.State;
using Slipway.Databases;

namespace Slipway.Api;

/// <summary>/v1/apps/{app}/databases... (environment-scoped through ?env=), /v1/backups/{id}... and
/// /v1/db-servers. URLs (secrets) leave the platform only through GET .../databases/{name}/url.</summary>
internal static class DatabaseEndpoints
{
    public static void MapDatabaseApi(IEndpointRouteBuilder api)
    {
        var apps = api.MapGroup("/v1/apps/{app}");
        apps.MapGet("/databases", (string app, DatabaseStore databases, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            return databases.ListForBaseApp(scope.App).Where(d => d.App == app || d.App.Length == 0).Select(DatabaseViews.Of);
        }).RequireAccess(Access.Permission.Read, "databases.list");
        apps.MapPost("/databases", async (string app, DatabaseCreateBody body, DatabaseProvisioner provisioner, DeployEngine engine, Store store, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            if (store.FindApp(app) is null && !body.Create)
            {
                // A typo must not create an app, or an environment with a database nobody asked for.
                throw AppErrors.NoApp(store, scope, $"To give it a database before its first deploy, add --create: slipway db create {scope.Flags} --create");
            }
            var type = body.Type is null ? DatabaseType.Postgres : DatabasesReader.Types.TryGetValue(body.Type, out var t) ? t
                : throw new UserException($"--type {body.Type}: expected postgres or redis.");
            var name = body.Name ?? (type == DatabaseType.Redis ? "cache" : "main");
            if (!DatabasesReader.NamePattern().IsMatch(name))
            {
                throw new UserException($"'{name}' is not a valid database name: use 1-20 lowercase letters, digits and _, starting with a letter (like main).");
            }
            if (body.Schedule is not null && !BackupSchedule.IsValid(body.Schedule))
            {
                throw new UserException($"--schedule '{body.Schedule}': expected five cron fields like \"0 3 * * *\" (or six with seconds first).");
            }
            var spec = new DatabaseSpec
            {
                Name = name, Type = type, Var = body.Var ?? DatabaseSpec.DefaultVar(type), MaxMemory = body.MaxMemory,
                Backups = new BackupPolicy { Schedule = body.Schedule ?? new BackupPolicy().Schedule },
            };
            var record = await provisioner.CreateAsync(scope, spec, body.Server, context.RequestAborted);
            // A live environment gets its new URL through a config release (like `env set`).
            var deployment = store.FindApp(app)?.LiveDeploymentId is not null ? AppViews.Deployment(engine.ApplyConfig(app, AccessControl.Caller(context).Name)) : null;
            return new DatabaseCreatedDto(DatabaseViews.Of(record), deployment);
        }).RequireAccess(Access.Permission.Backup, "databases.create");
        apps.MapGet("/databases/{name}/url", async (string app, string name, DatabaseStore databases, DatabaseProvisioner provisioner, HttpContext context) =>
        {
            AccessControl.DemandRevealByGet(context, AppScope.Of(context, app), "databases.url");
            var record = Find(databases, app, name, context);
            return new DatabaseUrlDto(record.Name, record.VarName, await provisioner.UrlAsync(record, context.RequestAborted));
        }).RequireAccess(Access.Permission.RevealSecrets, "databases.url");
        apps.MapPost("/databases/{name}/backups", (string app, string name, DatabaseStore databases, DatabaseBackup backups, HttpContext context) =>
        {
            var db = Find(databases, app, name, context);
            return ProgressStream.RunAsync(context, async progress => DatabaseViews.Of(await backups.TakeAsync(db, BackupKind.Manual, progress, context.RequestAborted)));
        }).RequireAccess(Access.Permission.Backup, "databases.backup");
        apps.MapPost("/databases/{name}/attach", (string app, string name, AttachBody body, DatabaseRestore restore, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            return ProgressStream.RunAsync(context, async progress =>
            {
                var outcome = await restore.AttachAsync(body.Detached, scope, name, progress, context.RequestAborted);
                return new RestoreDto(outcome.Database, outcome.SafetyBackup, outcome.Milliseconds);
            });
        }).RequireAccess(Access.Permission.RestoreDatabases, "databases.attach");
        apps.MapGet("/backups", (string app, DatabaseStore databases) => databases.ListBackups(app).Select(DatabaseViews.Of))
            .RequireAccess(Access.Permission.Read, "backups.list");
        apps.MapPost("/databases/{name}/branch", (string app, string name, BranchBody body, Branching branching, DeployEngine engine, Store store, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            // A branch copies the source environment's data: that is reading its secrets, not just its names.
            AccessControl.Demand(context, Access.Permission.RevealSecrets, AppRef.Of(scope.App, body.From), "databases.branch");
            return ProgressStream.RunAsync(context, async progress =>
            {
                var outcome = await branching.BranchAsync(scope.App, body.From, scope.Env, name, schemaOnly: false, progress, context.RequestAborted);
                var deployment = outcome.Created && store.FindApp(app)?.LiveDeploymentId is not null ? AppViews.Deployment(engine.ApplyConfig(app, AccessControl.Caller(context).Name)) : null;
                return new BranchDto(outcome.Database, outcome.Created, outcome.Bytes, outcome.Milliseconds, outcome.CopyMilliseconds, outcome.SwitchMilliseconds, deployment,
                    outcome.SafetyBackup);
            });
        }).RequireAccess(Access.Permission.RestoreDatabases, "databases.branch");

        api.MapPost("/v1/backups/{id}/verify", async (string id, DatabaseStore databases, DatabaseBackup backups, DatabaseLocks locks, HttpContext context) =>
        {
            var backup = databases.FindBackup(id) ?? throw new UserException($"No backup {id}. 'slipway db backups --app APP' lists them.", 404);
            // One verification of a database's backups at a time: two would share the backup's scratch database.
            using var held = await locks.HoldAsync(backup.DatabaseId, context.RequestAborted);
            backup = databases.FindBackup(id) ?? throw new UserException($"No backup {id}. 'slipway db backups --app APP' lists them.", 404);
            if (backup.Location is null || backup.Sha256 is null)
            {
                throw new UserException($"Backup {id} has no file to verify: it failed before it was stored ({backup.Error ?? backup.Status}). " +
                    $"Take a new one: slipway db backup --app {backup.App}");
            }
            var server = databases.FindById(backup.DatabaseId)?.Server ?? DatabaseRecord.Managed;
            return await ProgressStream.RunAsync(context, async progress => DatabaseViews.Of(await backups.VerifyAsync(backup, server, progress, context.RequestAborted)));
        }).RequireAccess(Access.Permission.Backup, "backups.verify", BackupApp);
        api.MapPost("/v1/backups/{id}/restore", (string id, RestoreBody body, DatabaseRestore restore, HttpContext context) =>
            ProgressStream.RunAsync(context, async progress =>
            {
                var outcome = await restore.RestoreAsync(id, body.ToNew, progress, context.RequestAborted);
                return new RestoreDto(outcome.Database, outcome.SafetyBackup, outcome.Milliseconds);
            })).RequireAccess(Access.Permission.RestoreDatabases, "backups.restore", BackupApp);
        api.MapPost("/v1/db-servers", async (ServerBody body, DatabaseProvisioner provisioner, HttpContext context) =>
        {
            if (!DatabasesReader.NamePattern().IsMatch(body.Name) || body.Name == DatabaseRecord.Managed)
            {
                throw new UserException($"'{body.Name}' is not a valid server name: use lowercase letters, digits and _ (not \"managed\").");
            }
            await provisioner.AddServerAsync(body.Name, body.Url, context.RequestAborted);
            return new NamedDto(body.Name);
        }).RequireAccess(Access.Permission.ManagePlatform, "db-servers.add");
        api.MapGet("/v1/db-servers", (DatabaseStore databases) => databases.ListServers().Select(s => new DbServerDto(s.Name, s.CreatedAt)).ToList())
            .RequireAccess(Access.Permission.ManagePlatform, "db-servers.list");
        api.MapGet("/v1/databases/cluster", (PostgresCluster cluster, PointInTimeRecovery pitr) =>
        {
            var bases = pitr.BaseBackups();
            return new ClusterDto(cluster.IsInitialized, cluster.Pid, cluster.Restarts, cluster.Root, bases.Count, bases.Count == 0 ? null : bases[^1].Finished.ToString("O"));
        }).RequireAccess(Access.Permission.ManagePlatform, "databases.cluster");
        apps.MapPost("/databases/{name}/recover", async (string app, string name, RecoverBody body, PointInTimeRecovery pitr, HttpContext context) =>
        {
            if (!DateTime.TryParse(body.At, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var at))
            {
                throw new UserException($"--at '{body.At}': expected a UTC time like 2026-11-21T10:04:00Z.");
            }
            return await ProgressStream.RunAsync(context, async progress =>
                new RestoreDto(body.ToNew, null, await pitr.RecoverAsync(app, name, at, body.ToNew, progress, context.RequestAborted)));
        }).RequireAccess(Access.Permission.RestoreDatabases, "databases.recover");
    }

    private static DatabaseRecord Find(DatabaseStore databases, string app, string name, HttpContext context)
    {
        var scope = AppScope.Of(context, app);
        return databases.Find(app, name)
            ?? databases.ListForBaseApp(scope.App).FirstOrDefault(d => d.App.Length == 0 && d.Name == name)
            ?? throw new UserException($"{scope.App} ({scope.Env}) has no database {name}. Declare it in slipway.json (\"databases\") or run 'slipway db create --app {scope.App}'.", 404);
    }

    /// <summary>The app environment a backup id belongs to (null for an unknown id).</summary>
    private static AppRef? BackupApp(HttpContext context) =>
        context.Request.RouteValues["id"] is string id && context.RequestServices.GetRequiredService<DatabaseStore>().FindBackup(id) is { } backup
            ? context.RequestServices.GetRequiredService<Store>().RefOf(backup.App)
            : null;
}
