using Npgsql;

namespace Slipway.Databases;

/// <summary>`slipway db restore BACKUP [--to-new NAME]`.
/// In place: the backup is restored beside the live database, then the live one is closed for a final safety dump and
/// the restored one switched in atomically (<see cref="LiveReplacement"/>: the old database is kept until the safety
/// backup verified, and kept detached when it does not): no write made before the restore is lost, and apps keep their
/// URL and reconnect.
/// To a new database: its own role and password, detached (listed by `db ls`, reachable with `db url --name`).</summary>
internal sealed partial class DatabaseRestore(
    DatabaseStore databases, DatabaseProvisioner provisioner, DatabaseBackup backups, DatabaseLocks locks, LiveReplacement replacement, Config.Keyring keyring,
    State.Store store)
{
    public sealed record Outcome(string Database, string? SafetyBackup, long Milliseconds);

    public async Task<Outcome> RestoreAsync(string backupId, string? toNew, OperationProgress progress, CancellationToken token)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var backup = databases.FindBackup(backupId) ?? throw new UserException($"No backup {backupId}. 'slipway db backups --app APP' lists them.", 404);
        if (backup.Status != BackupStatus.Verified)
        {
            throw new UserException($"Backup {backupId} is {backup.Status}{(backup.Error is null ? "" : $" ({backup.Error})")}: only verified backups are restored. Pick another from 'slipway db backups'.");
        }
        var db = databases.FindById(backup.DatabaseId);
        if (db is null)
        {
            // Its environment was destroyed: its backups stay, and are how its data comes back.
            db = toNew is not null ? Gone(backup) : throw new UserException(
                $"The database backup {backupId} was taken of is gone; restore it into a new database with --to-new NAME.");
        }
        var target = await provisioner.TargetAsync(db.Server, token);
        using var fetched = await backups.Storage.FetchAsync(backup.Location!, Path.GetTempPath(), token);
        var file = fetched.Path;
        if (await BackupVerifier.ChecksumAsync(file, token) != backup.Sha256)
        {
            throw new UserException($"Backup {backupId}'s file no longer matches its checksum (corrupted): pick another backup from 'slipway db backups'.");
        }
        await progress.StepAsync($"backup {backupId} ({OperationProgress.Size(backup.SizeBytes ?? 0)}) matches its checksum");
        if (toNew is not null)
        {
            await progress.StepAsync($"loading it into the new database {toNew} (pg_restore)");
            return new Outcome(await RestoreToNewAsync(db, file, toNew, target, token), null, started.ElapsedMilliseconds);
        }
        using var held = await locks.HoldAsync(db.Id, token);
        var scratch = DatabaseSwitch.Scratch("restore");
        await progress.StepAsync($"loading {backupId} beside the live {db.DbName} (pg_restore; the live database serves until the switch)");
        await LoadAsync(target, scratch, db.RoleName, file, token);
        BackupRecord safety;
        try
        {
            safety = await replacement.ReplaceAsync(db, target, scratch, progress, token);
        }
        catch
        {
            await DropQuietlyAsync(target, scratch, null);
            throw;
        }
        return new Outcome(db.DbName, safety.Id, started.ElapsedMilliseconds);
    }

    /// <summary>Stands in for the database of a destroyed environment: the detached copy goes to the managed
    /// cluster and is listed under the app (APP of the key APP-ENV when that app still exists).</summary>
    private DatabaseRecord Gone(BackupRecord backup)
    {
        var dash = backup.App.LastIndexOf('-');
        var baseApp = dash > 0 && store.FindApp(backup.App[..dash]) is { Env: AppRef.Production } app ? app.Name : backup.App;
        return new DatabaseRecord(backup.DatabaseId, backup.App, baseApp, "", backup.DbName, DatabaseRecord.Postgres, DatabaseRecord.Managed,
            backup.DbName, backup.DbName, "", Manifests.DatabaseSpec.DefaultVar(Manifests.DatabaseType.Postgres), new DatabaseSettings().ToJson(), databases.Now(), null);
    }

    private async Task<string> RestoreToNewAsync(DatabaseRecord from, string file, string name, PostgresTarget target, CancellationToken token)
    {
        await EnsureNewNameAsync(databases, target, name, token);
        var password = Secrets.Password();
        try
        {
            await DatabaseProvisioner.CreateRoleAndDatabaseAsync(target, name, password, token);
            await RestoreIntoAsync(target, name, name, file, token);
        }
        catch
        {
            // Nothing records them yet: a failed or stopped restore leaves neither, so the name can be used again.
            await DropQuietlyAsync(target, name, name);
            throw;
        }
        databases.Insert(new DatabaseRecord(State.Ids.New("db"), "", from.BaseApp, "", name, DatabaseRecord.Postgres, from.Server, name, name,
            keyring.Encrypt(password), from.VarName, from.Settings, databases.Now(), null));
        return name;
    }

    /// <summary>`slipway db attach NAME --app A --env E`: a detached database (from --to-new or --at) becomes the
    /// environment's database <paramref name="dbName"/>. Its objects go to the environment's role, a verified final
    /// safety backup of the data it replaces is taken while the app is shut out, and the switch is atomic: apps keep their
    /// URL.</summary>
    public async Task<Outcome> AttachAsync(string detachedName, AppRef owner, string dbName, OperationProgress progress, CancellationToken token)
    {
        var (key, baseApp, env) = (owner.Key, owner.App, owner.Env);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var detached = databases.ListForBaseApp(baseApp).FirstOrDefault(d => d.App.Length == 0 && d.Name == detachedName)
            ?? throw new UserException($"{baseApp} has no detached database {detachedName}. 'slipway db ls --app {baseApp}' lists them.", 404);
        var current = databases.Find(key, dbName) ?? await provisioner.CreateAsync(owner,
            new Manifests.DatabaseSpec { Name = dbName, Var = detached.VarName }, detached.Server, token);
        if (current.Type != DatabaseRecord.Postgres || current.Server != detached.Server)
        {
            throw new UserException($"{dbName} of {baseApp} ({env}) is not a postgres database on the same server as {detachedName}.");
        }
        using var held = await locks.HoldAsync(current.Id, token);
        await progress.StepAsync($"giving {detachedName}'s objects to {current.RoleName}");
        var target = await provisioner.TargetAsync(current.Server, token);
        await using (var db = await target.OpenAsync(detached.DbName, token))
        {
            await DatabaseProvisioner.Exec(db, $"reassign owned by {Sql.Ident(detached.RoleName)} to {Sql.Ident(current.RoleName)}; drop owned by {Sql.Ident(detached.RoleName)}", token);
        }
        var safety = await replacement.ReplaceAsync(current, target, detached.DbName, progress, token);
        await using (var admin = await target.OpenAsync(null, token))
        {
            await DatabaseProvisioner.Exec(admin, $"drop role if exists {Sql.Ident(detached.RoleName)}", token);
        }
        databases.Delete(detached.Id);
        return new Outcome(current.DbName, safety.Id, started.ElapsedMilliseconds);
    }

    /// <summary>--to-new NAME: a valid name no database has yet.</summary>
    public static async Task EnsureNewNameAsync(DatabaseStore databases, PostgresTarget target, string name, CancellationToken token)
    {
        if (!DetachedName().IsMatch(name))
        {
            throw new UserException($"'{name}' is not a valid database name: use 1-40 lowercase letters, digits and _, starting with a letter.");
        }
        await using var admin = await target.OpenAsync(null, token);
        if (await DatabaseProvisioner.Scalar(admin, $"select count(*) from pg_database where datname = {Sql.Literal(name)}", token) > 0 ||
            await DatabaseProvisioner.Scalar(admin, $"select count(*) from pg_roles where rolname = {Sql.Literal(name)}", token) > 0 ||
            databases.ListAll().Any(d => d.DbName == name))
        {
            throw new UserException($"A database named {name} exists already; choose another name for --to-new.");
        }
    }

    /// <summary>A new database <paramref name="name"/> owned by <paramref name="role"/>, loaded from a dump file.</summary>
    public static async Task LoadAsync(PostgresTarget target, string name, string role, string file, CancellationToken token)
    {
        await using (var admin = await target.OpenAsync(null, token))
        {
            await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(name)} with (force)", token);
            await DatabaseProvisioner.Exec(admin, $"create database {Sql.Ident(name)} owner {Sql.Ident(role)}", token);
        }
        await RestoreIntoAsync(target, name, role, file, token);
    }

    private static async Task RestoreIntoAsync(PostgresTarget target, string name, string role, string file, CancellationToken token)
    {
        PgTool.Result result;
        try
        {
            result = await PgTool.RunAsync(PostgresBinaries.Require().Path("pg_restore"),
                ["--no-owner", "--no-privileges", "--exit-on-error", "--role=" + role, "-d", name, file], target.ClientEnv(), token);
        }
        catch
        {
            await DropQuietlyAsync(target, name, null);
            throw;
        }
        if (!result.Ok)
        {
            await DropQuietlyAsync(target, name, null);
            throw new UserException("The restore failed and nothing was changed: " + result.Describe("pg_restore"));
        }
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Drops a database (and a role) an operation was building when it failed or was stopped; one
    /// this cannot drop (the server is gone) is a scratch name the cluster's next start sweeps.</summary>
    public static async Task DropQuietlyAsync(PostgresTarget target, string database, string? role)
    {
        try
        {
            await using var admin = await target.OpenAsync(null, CancellationToken.None);
            await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(database)} with (force)", CancellationToken.None);
            if (role is not null)
            {
                await DatabaseProvisioner.Exec(admin, $"drop role if exists {Sql.Ident(role)}", CancellationToken.None);
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial System.Text.RegularExpressions.Regex DetachedName();
}
