using Dapper;
using Microsoft.Data.Sqlite;

namespace Slipway.State;

/// <summary>The platform's durable state: one SQLite database (WAL) in the data directory. Plain SQL, short
/// transactions; every write that moves a deployment forward is a single statement or transaction so a
/// SIGKILL at any point leaves rows that <see cref="RecoverAfterRestart"/> can make consistent.</summary>
internal sealed class Store
{
    private readonly TimeProvider _clock;
    private readonly ISealedRows[] _sealedRows;
    private readonly IAppRows[] _appRows;

    /// <param name="sealedRows">Other subsystems' rows that key rotation re-seals in its transaction.</param>
    /// <param name="appRows">Other subsystems' rows that destroying an app deletes in its transaction.</param>
    public Store(string databasePath, TimeProvider clock, IEnumerable<ISealedRows>? sealedRows = null, IEnumerable<IAppRows>? appRows = null)
    {
        _clock = clock;
        Connections = new SqliteConnectionFactory(databasePath);
        _sealedRows = sealedRows?.ToArray() ?? [];
        _appRows = appRows?.ToArray() ?? [];
        Migrate();
    }

    public SqliteConnectionFactory Connections { get; }

    public string Now() => UtcTime.Format(_clock.GetUtcNow());

    private SqliteConnection Open() => Connections.Open();

    /// <summary>The schema version of the database at <paramref name="databasePath"/>, read without changing it (0: none yet).</summary>
    public static long ReadSchemaVersion(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var exists = connection.ExecuteScalar<long>("select count(*) from sqlite_master where type = 'table' and name = 'schema_version'") > 0;
        return exists ? connection.ExecuteScalar<long?>("select max(version) from schema_version") ?? 0 : 0;
    }

    private void Migrate()
    {
        using var connection = Open();
        connection.Execute("create table if not exists schema_version (version integer not null)");
        var version = connection.ExecuteScalar<long?>("select max(version) from schema_version") ?? 0;
        if (version > Schema.Migrations.Length)
        {
            throw new UserException(
                $"The data directory's database is at schema version {version}, newer than this Slipway ({Schema.Migrations.Length}). " +
                "Run a newer slipway, or point --data at another directory.");
        }
        for (var i = (int)version; i < Schema.Migrations.Length; i++)
        {
            using var tx = connection.BeginTransaction();
            connection.Execute(Schema.Migrations[i], transaction: tx);
            connection.Execute("insert into schema_version(version) values (@v)", new { v = i + 1 }, tx);
            tx.Commit();
        }
    }

    // ---- apps

    public AppRecord? FindApp(string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<AppRecord>("select * from apps where name = @name", new { name });
    }

    public IReadOnlyList<AppRecord> ListApps()
    {
        using var c = Open();
        return c.Query<AppRecord>("select * from apps order by name").AsList();
    }

    /// <summary>The production environment of <paramref name="app"/>, created on first use.</summary>
    public AppRecord EnsureApp(string app) => EnsureApp(AppRef.Of(app));

    /// <summary>The row of the environment <paramref name="target"/>, created on first use. Refuses a key that
    /// already belongs to another app's environment (app "shop-staging" vs shop's staging).</summary>
    public AppRecord EnsureApp(AppRef target)
    {
        using var c = Open();
        c.Execute("insert or ignore into apps(name, created_at, base_app, env) values (@name, @now, @app, @env)",
            new { name = target.Key, now = Now(), app = target.App, env = target.Env });
        var record = c.QuerySingle<AppRecord>("select * from apps where name = @name", new { name = target.Key });
        if (record.Ref != target)
        {
            throw new UserException(record.Ref.IsProduction
                ? $"{target.Key} is already an app of its own, so {target.App} cannot have an environment named {target.Env}. Pick another environment name."
                : $"{target.Key} is the {record.Env} environment of app {record.App}. Use {record.Ref.Flags}, or pick another app name.");
        }
        return record;
    }

    /// <summary>The app environment whose key is <paramref name="key"/> (production of an app named so, when it
    /// has no row yet).</summary>
    public AppRef RefOf(string key) => FindApp(key)?.Ref ?? AppRef.Of(key);

    public IReadOnlyList<AppRecord> ListEnvironments(string app)
    {
        using var c = Open();
        return c.Query<AppRecord>("select * from apps where base_app = @app order by env", new { app }).AsList();
    }

    public void SetDesiredState(string app, string state)
    {
        using var c = Open();
        c.Execute("update apps set desired_state = @state where name = @app", new { app, state });
    }

    public void SetHosts(string app, string hostsJson)
    {
        using var c = Open();
        c.Execute("update apps set hosts = @hostsJson where name = @app", new { app, hostsJson });
    }

    /// <summary>Destroys an app row's state in one transaction: the rows registered participants keep for it
    /// (<see cref="IAppRows"/>), then its deployments, builds, instances and events, the row, and its config.</summary>
    public void DeleteApp(string app)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var record = c.QuerySingleOrDefault<AppRecord>("select * from apps where name = @app", new { app }, tx);
        foreach (var participant in _appRows)
        {
            participant.DeleteApp(c, tx, app, record);
        }
        foreach (var table in new[] { "instances", "deployments", "builds", "events" })
        {
            c.Execute($"delete from {table} where app = @app", new { app }, tx);
        }
        c.Execute("delete from apps where name = @app", new { app }, tx);
        if (record is not null)
        {
            // Config is keyed by the app the user named: this environment's own vars go, and the shared ones
            // (and every other scope of the app) only with the app's last environment.
            c.Execute("delete from config_vars where app = @base and env = @env", new { @base = record.App, env = record.Env }, tx);
            if (c.ExecuteScalar<long>("select count(*) from apps where base_app = @base", new { @base = record.App }, tx) == 0)
            {
                c.Execute("delete from config_vars where app = @base", new { @base = record.App }, tx);
            }
        }
        tx.Commit();
    }

    /// <summary>Deployments of other environments that are live on one of this environment's builds.</summary>
    public IReadOnlyList<DeploymentRecord> LiveElsewhereOnBuildsOf(string app)
    {
        using var c = Open();
        return c.Query<DeploymentRow>("""
            select d.* from deployments d join apps a on a.live_deployment_id = d.id
            where d.app <> @app and d.build_id in (select id from builds where app = @app and pruned = 0)
            """, new { app }).Select(d => d.ToRecord()).ToList();
    }

    // ---- builds

    public void InsertBuild(BuildRecord build)
    {
        using var c = Open();
        c.Execute("""
            insert into builds(id, app, dir, source, commit_sha, created_at, pruned, commit_subject, commit_author)
            values (@Id, @App, @Dir, @Source, @CommitSha, @CreatedAt, @Pruned, @CommitSubject, @CommitAuthor)
            """, build);
    }

    public BuildRecord? FindBuild(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<BuildRecord>("select * from builds where id = @id", new { id });
    }

    public IReadOnlyList<BuildRecord> ListBuilds(string app)
    {
        using var c = Open();
        return c.Query<BuildRecord>("select * from builds where app = @app order by created_at desc", new { app }).AsList();
    }

    public void MarkBuildPruned(string id)
    {
        using var c = Open();
        c.Execute("update builds set pruned = 1 where id = @id", new { id });
    }

    // ---- deployments

    public DeploymentRecord CreateDeployment(string app, DeploymentKind kind, string source, string? buildId, string? rollbackOf,
        string? specJson = null, string? configJson = null, CommitInfo? commit = null, string? configHash = null, string? requestedBy = null)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var seq = c.ExecuteScalar<long>("select coalesce(max(seq), 0) + 1 from deployments where app = @app", new { app }, tx);
        var id = Ids.New("d");
        c.Execute("""
            insert into deployments(id, app, seq, kind, status, source, commit_sha, commit_subject, commit_author, build_id, spec_json, config_json,
                config_hash, rollback_of, created_at, requested_by)
            values (@id, @app, @seq, @kind, @queued, @source, @commitSha, @commitSubject, @commitAuthor, @buildId, @specJson, @configJson,
                @configHash, @rollbackOf, @now, @requestedBy)
            """, new { id, app, seq, kind = JsonSpellings.Of(kind), queued = JsonSpellings.Of(DeploymentStatus.Queued), source, commitSha = commit?.Sha,
                commitSubject = commit?.Subject, commitAuthor = commit?.Author, buildId, specJson, configJson, configHash, rollbackOf, now = Now(), requestedBy }, tx);
        tx.Commit();
        return c.QuerySingle<DeploymentRow>("select * from deployments where id = @id", new { id }).ToRecord();
    }

    public DeploymentRecord? FindDeployment(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<DeploymentRow>("select * from deployments where id = @id", new { id })?.ToRecord();
    }

    public IReadOnlyList<DeploymentRecord> ListDeployments(string app, int limit = 50)
    {
        using var c = Open();
        return c.Query<DeploymentRow>(
            "select * from deployments where app = @app order by seq desc limit @limit", new { app, limit }).Select(d => d.ToRecord()).ToList();
    }

    /// <summary>Each app row whose most recent finished deployment (live, retired or failed, of any kind; a cancelled
    /// one is not counted) failed at or after <paramref name="since"/>. One statement over the table.</summary>
    public IReadOnlyList<DeploymentRecord> LatestFailedDeployments(DateTimeOffset since)
    {
        using var c = Open();
        var (live, retired, failed) = (JsonSpellings.Of(DeploymentStatus.Live), JsonSpellings.Of(DeploymentStatus.Retired), JsonSpellings.Of(DeploymentStatus.Failed));
        return c.Query<DeploymentRow>("""
            select d.* from deployments d
            where d.status = @failed and d.finished_at >= @since
              and not exists (select 1 from deployments l where l.app = d.app and l.seq > d.seq and l.status in (@live, @retired, @failed))
            order by d.app
            """, new { live, retired, failed, since = UtcTime.Format(since) }).Select(d => d.ToRecord()).ToList();
    }

    public void SetDeploymentStatus(string id, DeploymentStatus status)
    {
        using var c = Open();
        c.Execute("""
            update deployments set status = @status, started_at = coalesce(started_at, @now)
            where id = @id and status not in @terminal
            """, new { id, status = JsonSpellings.Of(status), now = Now(), terminal = DeploymentStatuses.TerminalSpellings });
    }

    public void SetDeploymentBuild(string id, string buildId, string specJson, string configJson, string configHash, CommitInfo? commit)
    {
        using var c = Open();
        c.Execute("""
            update deployments set build_id = @buildId, spec_json = @specJson, config_json = @configJson, config_hash = @configHash,
                commit_sha = coalesce(@commitSha, commit_sha), commit_subject = coalesce(@commitSubject, commit_subject),
                commit_author = coalesce(@commitAuthor, commit_author)
            where id = @id
            """, new { id, buildId, specJson, configJson, configHash, commitSha = commit?.Sha, commitSubject = commit?.Subject, commitAuthor = commit?.Author });
    }

    /// <summary>A config release: the target's build and spec with a new (sealed) config snapshot.</summary>
    public void SetDeploymentConfig(string id, string configJson, string configHash)
    {
        using var c = Open();
        c.Execute("update deployments set config_json = @configJson, config_hash = @configHash where id = @id",
            new { id, configJson, configHash });
    }

    /// <summary>A rollback or restart fixes its target when it runs (under the app's lock), not when queued.</summary>
    public void RetargetDeployment(string id, DeploymentRecord target)
    {
        using var c = Open();
        c.Execute("""
            update deployments set source = @Source, build_id = @BuildId, spec_json = @SpecJson, config_json = @ConfigJson,
                config_hash = @ConfigHash, commit_sha = @CommitSha, commit_subject = @CommitSubject, commit_author = @CommitAuthor,
                rollback_of = @TargetId
            where id = @id
            """, new { id, target.Source, target.BuildId, target.SpecJson, target.ConfigJson, target.ConfigHash, target.CommitSha,
                target.CommitSubject, target.CommitAuthor, TargetId = target.Id });
    }

    public void FailDeployment(string id, DeploymentStatus status, string step, string error)
    {
        using var c = Open();
        c.Execute("""
            update deployments set status = @status, step = @step, error = @error, finished_at = @now
            where id = @id and status not in @terminal
            """, new { id, status = JsonSpellings.Of(status), step, error, now = Now(), terminal = DeploymentStatuses.TerminalSpellings });
    }

    /// <summary>The switch, in one transaction: the new deployment becomes live, the previous live one retired.</summary>
    public void MakeLive(string app, string deploymentId)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var now = Now();
        var (live, retired) = (JsonSpellings.Of(DeploymentStatus.Live), JsonSpellings.Of(DeploymentStatus.Retired));
        c.Execute("update deployments set status = @retired where app = @app and status = @live and id <> @deploymentId",
            new { app, deploymentId, live, retired }, tx);
        c.Execute("update deployments set status = @live, live_at = @now, finished_at = @now where id = @deploymentId",
            new { deploymentId, now, live }, tx);
        c.Execute("update apps set live_deployment_id = @deploymentId, desired_state = 'running' where name = @app",
            new { app, deploymentId }, tx);
        tx.Commit();
    }

    // ---- instances

    public void UpsertInstance(InstanceRecord i)
    {
        using var c = Open();
        c.Execute("""
            insert into instances(id, deployment_id, app, service, replica, port, pid, pid_start, state, restarts, started_at, stopped_at, launch_key)
            values (@Id, @DeploymentId, @App, @Service, @Replica, @Port, @Pid, @PidStart, @State, @Restarts, @StartedAt, @StoppedAt, @LaunchKey)
            on conflict(id) do update set port = excluded.port, pid = excluded.pid, pid_start = excluded.pid_start,
                state = excluded.state, restarts = excluded.restarts, stopped_at = excluded.stopped_at, launch_key = excluded.launch_key
            """, i);
    }

    public IReadOnlyList<InstanceRecord> ListActiveInstances()
    {
        using var c = Open();
        return c.Query<InstanceRecord>("select * from instances where stopped_at is null").AsList();
    }

    public void MarkInstanceStopped(string id, string state)
    {
        using var c = Open();
        c.Execute("update instances set state = @state, stopped_at = coalesce(stopped_at, @now) where id = @id",
            new { id, state, now = Now() });
    }

    // ---- config vars

    public IReadOnlyList<ConfigVarRecord> ListConfig(string app, string env)
    {
        using var c = Open();
        return c.Query<ConfigVarRecord>("select * from config_vars where app = @app and env = @env order by name", new { app, env }).AsList();
    }

    public IReadOnlyList<ConfigVarRecord> ListAllConfig()
    {
        using var c = Open();
        return c.Query<ConfigVarRecord>("select * from config_vars").AsList();
    }

    /// <summary>Sets and unsets in one transaction: a change is applied whole or not at all.</summary>
    public void ChangeConfig(string app, string env, IEnumerable<(string Name, string ValueEnc, bool Secret)> set, IEnumerable<string> unset)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var now = Now();
        foreach (var (name, valueEnc, secret) in set)
        {
            c.Execute("""
                insert into config_vars(app, env, name, value_enc, secret, updated_at) values (@app, @env, @name, @valueEnc, @secret, @now)
                on conflict(app, env, name) do update set value_enc = excluded.value_enc, secret = excluded.secret, updated_at = excluded.updated_at
                """, new { app, env, name, valueEnc, secret = secret ? 1 : 0, now }, tx);
        }
        foreach (var name in unset)
        {
            c.Execute("delete from config_vars where app = @app and env = @env and name = @name", new { app, env, name }, tx);
        }
        tx.Commit();
    }

    /// <summary>Key rotation: every encrypted value rewritten in one transaction, config vars and deployments'
    /// config snapshots here, the rows of other subsystems by their registered participants
    /// (<see cref="ISealedRows"/>).</summary>
    public void ReencryptAll(Func<string, string> reencrypt, Func<string, string> fingerprint)
    {
        using var c = Open();
        // This commit must be on disk before the old key is retired: fsync it (WAL commits are not, normally).
        c.Execute("pragma synchronous = full");
        using var tx = c.BeginTransaction();
        foreach (var v in c.Query<ConfigVarRecord>("select * from config_vars", transaction: tx).AsList())
        {
            c.Execute("update config_vars set value_enc = @enc where app = @App and env = @Env and name = @Name",
                new { enc = reencrypt(v.ValueEnc), v.App, v.Env, v.Name }, tx);
        }
        foreach (var (id, config) in c.Query<(string, string)>("select id, config_json from deployments where config_json is not null", transaction: tx).AsList())
        {
            var enc = reencrypt(config);
            // Fingerprints are keyed by the master key too: recomputed, so configs still compare equal.
            c.Execute("update deployments set config_json = @enc, config_hash = @hash where id = @id", new { enc, hash = fingerprint(enc), id }, tx);
        }
        foreach (var participant in _sealedRows)
        {
            participant.Reseal(c, tx, reencrypt);
        }
        tx.Commit();
        c.Execute("pragma wal_checkpoint(full)");
    }

    // ---- events

    public void AddEvent(string? app, string? deploymentId, string kind, string message)
    {
        using var c = Open();
        c.Execute("insert into events(at, app, deployment_id, kind, message) values (@now, @app, @deploymentId, @kind, @message)",
            new { now = Now(), app, deploymentId, kind, message });
    }

    /// <summary>When the newest platform event of one of <paramref name="kinds"/> happened, if any.</summary>
    public DateTimeOffset? LastEventAt(params string[] kinds)
    {
        using var c = Open();
        var at = c.QuerySingleOrDefault<string?>("select max(at) from events where app is null and kind in @kinds", new { kinds });
        return at is not null && UtcTime.TryParse(at, out var t) ? t : null;
    }

    /// <summary>The platform's own events (no app): database server crashes, WAL archiving, off-site copies.</summary>
    public IReadOnlyList<EventRecord> ListPlatformEvents(int limit = 100)
    {
        using var c = Open();
        return c.Query<EventRecord>("select * from events where app is null order by id desc limit @limit", new { limit }).AsList();
    }

    public IReadOnlyList<EventRecord> ListEvents(string app, int limit = 100)
    {
        using var c = Open();
        return c.Query<EventRecord>("select * from events where app = @app order by id desc limit @limit", new { app, limit }).AsList();
    }

    /// <summary>Events of <paramref name="kind"/> at or after <paramref name="since"/>, newest first. Read newest first
    /// by id and stopped at the first older event, so it costs what the window holds, not what the table holds (events
    /// are kept; neither kind nor time is indexed).</summary>
    public IReadOnlyList<EventRecord> RecentEvents(string kind, DateTimeOffset since)
    {
        using var c = Open();
        var found = new List<EventRecord>();
        foreach (var e in c.Query<EventRecord>("select * from events order by id desc", buffered: false))
        {
            if (e.At < since)
            {
                break;
            }
            if (e.Kind == kind)
            {
                found.Add(e);
            }
        }
        return found;
    }

    // ---- recovery

    /// <summary>After a crash or SIGKILL: a deployment caught mid-way can never finish, so it is failed with the
    /// step it was in. Returns the ids it failed.</summary>
    public IReadOnlyList<string> FailInterruptedDeployments()
    {
        using var c = Open();
        var stuck = c.Query<DeploymentRow>(
            "select * from deployments where status not in @terminal", new { terminal = DeploymentStatuses.TerminalSpellings }).AsList();
        foreach (var d in stuck)
        {
            FailDeployment(d.Id, DeploymentStatus.Failed, d.Status,
                $"the platform stopped while this deployment was {d.Status}; deploy again");
        }
        return stuck.Select(d => d.Id).ToList();
    }
}
