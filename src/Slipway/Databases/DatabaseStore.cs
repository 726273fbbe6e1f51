using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>The databases, servers and backups tables of the platform's SQLite state (migration 5 in
/// State/Schema.cs). Plain SQL; each write is one statement. Key rotation re-seals the secrets in these tables
/// through <see cref="DatabaseSecretRows"/>.</summary>
internal sealed class DatabaseStore(Store store)
{
    // The platform's store migrates the schema (it is constructed first), owns the clock and opens connections
    // the same way for every store.
    public string Now() => store.Now();

    private SqliteConnection Open() => store.Connections.Open();

    // ---- databases

    public void Insert(DatabaseRecord d)
    {
        using var c = Open();
        c.Execute("""
            insert into databases(id, app, base_app, env, name, type, server, db_name, role_name, secret_enc, var_name, settings, created_at, last_scheduled_at)
            values (@Id, @App, @BaseApp, @Env, @Name, @Type, @Server, @DbName, @RoleName, @SecretEnc, @VarName, @Settings, @CreatedAt, @LastScheduledAt)
            """, d);
    }

    public DatabaseRecord? Find(string app, string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<DatabaseRecord>("select * from databases where app = @app and name = @name", new { app, name });
    }

    public DatabaseRecord? FindById(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<DatabaseRecord>("select * from databases where id = @id", new { id });
    }

    public IReadOnlyList<DatabaseRecord> ListFor(string app)
    {
        using var c = Open();
        return c.Query<DatabaseRecord>("select * from databases where app = @app order by name", new { app }).AsList();
    }

    /// <summary>Every database of the app's environments, and the detached ones restored from them.</summary>
    public IReadOnlyList<DatabaseRecord> ListForBaseApp(string baseApp)
    {
        using var c = Open();
        return c.Query<DatabaseRecord>("select * from databases where base_app = @baseApp order by app, name", new { baseApp }).AsList();
    }

    public IReadOnlyList<DatabaseRecord> ListAll()
    {
        using var c = Open();
        return c.Query<DatabaseRecord>("select * from databases order by app, name").AsList();
    }

    public void UpdateSettings(string id, string settings)
    {
        using var c = Open();
        c.Execute("update databases set settings = @settings where id = @id", new { id, settings });
    }

    public void SetLastScheduled(string id, string at)
    {
        using var c = Open();
        c.Execute("update databases set last_scheduled_at = @at where id = @id", new { id, at });
    }

    public void Delete(string id)
    {
        using var c = Open();
        c.Execute("delete from databases where id = @id", new { id });
    }

    /// <summary>A detached database becomes an environment's (or the reverse), in one statement.</summary>
    public void Reassign(string id, string app, string env, string name, string varName)
    {
        using var c = Open();
        c.Execute("update databases set app = @app, env = @env, name = @name, var_name = @varName where id = @id", new { id, app, env, name, varName });
    }

    // ---- servers

    public void InsertServer(DbServerRecord s)
    {
        using var c = Open();
        c.Execute("insert into db_servers(name, url_enc, created_at) values (@Name, @UrlEnc, @CreatedAt) on conflict(name) do update set url_enc = excluded.url_enc", s);
    }

    public DbServerRecord? FindServer(string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<DbServerRecord>("select * from db_servers where name = @name", new { name });
    }

    public IReadOnlyList<DbServerRecord> ListServers()
    {
        using var c = Open();
        return c.Query<DbServerRecord>("select * from db_servers order by name").AsList();
    }

    // ---- backups

    public void InsertBackup(BackupRecord b)
    {
        using var c = Open();
        c.Execute("""
            insert into db_backups(id, database_id, app, db_name, kind, status, location, size_bytes, sha256, tables_json, started_at, finished_at, duration_ms, error)
            values (@Id, @DatabaseId, @App, @DbName, @Kind, @Status, @Location, @SizeBytes, @Sha256, @TablesJson, @StartedAt, @FinishedAt, @DurationMs, @Error)
            """, b);
    }

    public void UpdateBackup(BackupRecord b)
    {
        using var c = Open();
        c.Execute("""
            update db_backups set status = @Status, location = @Location, size_bytes = @SizeBytes, sha256 = @Sha256, tables_json = @TablesJson,
                finished_at = @FinishedAt, duration_ms = @DurationMs, error = @Error where id = @Id
            """, b);
    }

    public BackupRecord? FindBackup(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<BackupRecord>("select * from db_backups where id = @id", new { id });
    }

    public IReadOnlyList<BackupRecord> ListBackups(string app)
    {
        using var c = Open();
        return c.Query<BackupRecord>("select * from db_backups where app = @app order by started_at desc, id desc", new { app }).AsList();
    }

    /// <summary>Every verified backup with a stored file, oldest first (off-site copies catch up on them).</summary>
    public IReadOnlyList<BackupRecord> ListVerifiedBackups()
    {
        using var c = Open();
        return c.Query<BackupRecord>("select * from db_backups where status = 'verified' and location is not null order by started_at, id").AsList();
    }

    public IReadOnlyList<BackupRecord> ListBackupsOf(string databaseId)
    {
        using var c = Open();
        return c.Query<BackupRecord>("select * from db_backups where database_id = @databaseId order by started_at desc, id desc", new { databaseId }).AsList();
    }

    public void DeleteBackup(string id)
    {
        using var c = Open();
        c.Execute("delete from db_backups where id = @id", new { id });
    }

    /// <summary>Every database of an environment that is backed up (postgres, or any with a backup), with its last
    /// finished backup and when its last verified one was taken: one statement, the backups read through their
    /// index.</summary>
    public IReadOnlyList<BackupHealth> BackupHealth()
    {
        using var c = Open();
        return c.Query<BackupHealth>("""
            select d.id as DatabaseId, d.app as App, d.name as Name, d.created_at as CreatedAt,
                (select max(v.started_at) from db_backups v where v.database_id = d.id and v.status = @verified) as LastVerifiedAt,
                l.id as LastId, l.status as LastStatus, l.started_at as LastStartedAt, l.error as LastError
            from databases d
            left join db_backups l on l.id = (
                select b.id from db_backups b where b.database_id = d.id and b.status in (@verified, @failed)
                order by b.started_at desc, b.id desc limit 1)
            where d.app <> '' and (d.type = @postgres or exists (select 1 from db_backups e where e.database_id = d.id))
            order by d.app, d.name
            """, new { verified = BackupStatus.Verified, failed = BackupStatus.Failed, postgres = DatabaseRecord.Postgres }).AsList();
    }

    /// <summary>At start-up: backups caught half-way by a platform stop can never finish.</summary>
    public IReadOnlyList<BackupRecord> FailInterruptedBackups(string at)
    {
        using var c = Open();
        var interrupted = c.Query<BackupRecord>("select * from db_backups where status in ('running', 'verifying')").AsList();
        c.Execute("update db_backups set status = 'failed', finished_at = @at, error = 'interrupted by a platform stop' where status in ('running', 'verifying')", new { at });
        return interrupted;
    }
}
