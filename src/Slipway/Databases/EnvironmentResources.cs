using Npgsql;
using Slipway.Manifests;

namespace Slipway.Databases;

/// <summary>An environment's databases as Deploy sees them (<see cref="Deploy.IEnvironmentResources"/>): created
/// before the release command (<see cref="DatabaseProvisioner"/>), and at destroy named with their sizes, backed
/// up a last time and dropped, or kept:
///
///   plan: each database, its size ─► instances stopped ─► final backup of each postgres database (verified)
///                                                            │ any failure: UserException, nothing dropped
///                                                            ▼
///                                                         drop each; its backups stay (db backups, db restore --to-new)
///   --keep-databases: no backup; each becomes detached under its database name (db ls, db url --name, db attach)
///
/// Redis databases have no logical backups: the plan says so before the user confirms.</summary>
internal sealed class EnvironmentResources(
    DatabaseStore databases, DatabaseProvisioner provisioner, DatabaseBackup backups, RedisServers redis) : Deploy.IEnvironmentResources
{
    /// <summary>A database destroy would drop (or keep), and its size (null when its server cannot say).</summary>
    public sealed record Item(DatabaseRecord Database, long? SizeBytes);

    public Task PrepareAsync(AppRef target, IReadOnlyList<DatabaseSpec> declared, Action<string> log, CancellationToken token) =>
        provisioner.PrepareAsync(target, declared, log, token);

    public IReadOnlyList<string> VariablesOf(string key) => databases.ListFor(key).Select(d => d.VarName).Distinct().ToList();

    /// <summary>What destroying the environment row <paramref name="key"/> does to its databases, before it does it.</summary>
    public async Task<IReadOnlyList<Item>> PlanAsync(string key, CancellationToken token)
    {
        var items = new List<Item>();
        foreach (var db in databases.ListFor(key))
        {
            items.Add(new Item(db, db.Type == DatabaseRecord.Redis ? redis.SizeOf(db) : await PostgresSizeAsync(db, token)));
        }
        return items;
    }

    private async Task<long?> PostgresSizeAsync(DatabaseRecord db, CancellationToken token)
    {
        try
        {
            var target = await provisioner.TargetAsync(db.Server, token);
            await using var admin = await target.OpenAsync(null, token);
            return await DatabaseProvisioner.Scalar(admin, $"select pg_database_size({Sql.Literal(db.DbName)})", token);
        }
        catch (Exception e) when (e is NpgsqlException or UserException or TimeoutException)
        {
            // The plan shows "size unknown"; the final backup, which needs the server too, says what is wrong.
            return null;
        }
    }

    public async Task SecureForDestroyAsync(string key, bool keep, Func<string, Task> report, CancellationToken token)
    {
        if (keep)
        {
            return;
        }
        var progress = new OperationProgress(report);
        foreach (var db in databases.ListFor(key).Where(d => d.Type == DatabaseRecord.Postgres))
        {
            await progress.StepAsync($"final backup of database {db.Name} ({db.DbName}), verified by a restore before anything is dropped");
            var backup = await backups.TakeAsync(db, BackupKind.Final, progress.Prefixed($"{db.Name}: "), token);
            if (backup.Status != BackupStatus.Verified)
            {
                throw new UserException($"The final backup of database {db.Name} ({db.DbName} on server {db.Server}) failed: {backup.Error}. " +
                    "Nothing was dropped or deleted. Fix the cause ('slipway doctor' checks the database server; 'slipway db backups' lists the failed backup) " +
                    "and destroy again, or keep the databases with --keep-databases.");
            }
        }
    }

    public async Task DropForAppAsync(string key, bool keep, CancellationToken token)
    {
        foreach (var record in databases.ListFor(key))
        {
            if (keep)
            {
                // Detached like a `restore --to-new` copy: named by its (unique) database name, under the same app.
                databases.Reassign(record.Id, "", "", record.DbName, record.VarName);
            }
            else
            {
                await provisioner.DropAsync(record, token);
            }
        }
    }

    /// <summary>The newest verified final backup of a database destroy dropped.</summary>
    public BackupRecord? FinalBackupOf(string databaseId) =>
        databases.ListBackupsOf(databaseId).FirstOrDefault(b => b.Kind == BackupKind.Final && b.Status == BackupStatus.Verified);

    /// <summary>A name for `db restore --to-new` that says where the data came from: KEY_NAME (at most 40 characters).</summary>
    public static string RestoreName(string key, string name)
    {
        var full = $"{key.Replace('-', '_')}_{name}";
        return full.Length <= 40 ? full : full[..40].TrimEnd('_');
    }
}
