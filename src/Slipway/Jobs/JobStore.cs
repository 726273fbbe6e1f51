using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Durable state of cron jobs and messages, in the platform's database (tables from migration 4).
/// Times are passed in by the caller, read from the jobs clock, so tests drive them. Destroying an app and key
/// rotation reach these tables through <see cref="JobRows"/>.</summary>
internal sealed class JobStore
{
    /// <summary>Runs kept per job; older ones are deleted after each run (never one still running: its record
    /// must be there to finish).</summary>
    public const int KeptRuns = 100;

    /// <summary>Delivered messages are kept this long for `messages ls`.</summary>
    public static readonly TimeSpan KeptDelivered = TimeSpan.FromDays(7);

    /// <summary>Dead messages are kept this long to be resent (`messages retry`), so a receiver failing for
    /// months does not fill the disk.</summary>
    public static readonly TimeSpan KeptDead = TimeSpan.FromDays(30);

    /// <summary>Pending messages one environment may have: a runaway publisher (up to 1 MiB each) must not fill
    /// the platform's disk.</summary>
    public const int MaxPendingPerApp = 10_000;

    private readonly SqliteConnectionFactory _connections;

    public JobStore(string databasePath) => _connections = new SqliteConnectionFactory(databasePath);

    private SqliteConnection Open() => _connections.Open();

    // ---- cron state

    public IReadOnlyDictionary<string, string> LastSlots(string app)
    {
        using var c = Open();
        return c.Query<(string Job, string LastSlot)>("select job, last_slot from cron_state where app = @app", new { app })
            .ToDictionary(r => r.Job, r => r.LastSlot, StringComparer.Ordinal);
    }

    public void SetLastSlot(string app, string job, DateTimeOffset slot)
    {
        using var c = Open();
        c.Execute("""
            insert into cron_state(app, job, last_slot) values (@app, @job, @slot)
            on conflict(app, job) do update set last_slot = excluded.last_slot
            """, new { app, job, slot = JobTime.Format(slot) });
    }

    /// <summary>Jobs no longer in the live spec forget where they were: if a rollback brings one back, it starts
    /// from then, instead of counting the time it was gone as missed runs.</summary>
    public void ForgetJobsExcept(string app, IReadOnlyCollection<string> jobs)
    {
        using var c = Open();
        foreach (var job in c.Query<string>("select job from cron_state where app = @app", new { app }).Where(j => !jobs.Contains(j)).ToList())
        {
            c.Execute("delete from cron_state where app = @app and job = @job", new { app, job });
        }
    }

    // ---- cron runs

    public void InsertRun(CronRunRecord run)
    {
        using var c = Open();
        c.Execute("""
            insert into cron_runs(id, app, job, deployment_id, trigger, scheduled_at, started_at, finished_at, status, attempts,
                http_status, exit_code, duration_ms, output, error)
            values (@Id, @App, @Job, @DeploymentId, @Trigger, @ScheduledAt, @StartedAt, @FinishedAt, @Status, @Attempts,
                @HttpStatus, @ExitCode, @DurationMs, @Output, @Error)
            """, run);
        c.Execute("""
            delete from cron_runs where app = @App and job = @Job and status <> 'running' and id not in
                (select id from cron_runs where app = @App and job = @Job order by started_at desc limit @kept)
            """, new { run.App, run.Job, kept = KeptRuns });
    }

    public void FinishRun(CronRunRecord run)
    {
        using var c = Open();
        c.Execute("""
            update cron_runs set finished_at = @FinishedAt, status = @Status, attempts = @Attempts, http_status = @HttpStatus,
                exit_code = @ExitCode, duration_ms = @DurationMs, output = @Output, error = @Error
            where id = @Id
            """, run);
    }

    public IReadOnlyList<CronRunRecord> ListRuns(string app, string job, int limit)
    {
        using var c = Open();
        return c.Query<CronRunRecord>("select * from cron_runs where app = @app and job = @job order by started_at desc, rowid desc limit @limit",
            new { app, job, limit }).AsList();
    }

    public CronRunRecord? FindRun(string app, string job, string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<CronRunRecord>("select * from cron_runs where id = @id and app = @app and job = @job", new { id, app, job });
    }

    public CronRunRecord? LastRun(string app, string job)
    {
        using var c = Open();
        return c.QueryFirstOrDefault<CronRunRecord>(
            "select * from cron_runs where app = @app and job = @job order by started_at desc, rowid desc limit 1", new { app, job });
    }

    /// <summary>The last <paramref name="perJob"/> runs that ended succeeded, failed or timed out (skipped and
    /// interrupted ones say nothing about the job) of every job in the live schedules (cron_state), newest first per
    /// job. One statement; at most <see cref="KeptRuns"/> rows a job are there to look at.</summary>
    public IReadOnlyList<CronRunRecord> LastOutcomes(int perJob)
    {
        using var c = Open();
        return c.Query<CronRunRecord>("""
            select id, app, job, deployment_id, trigger, scheduled_at, started_at, finished_at, status, attempts,
                http_status, exit_code, duration_ms, output, error
            from (
                select r.*, row_number() over (partition by r.app, r.job order by r.started_at desc, r.rowid desc) as n
                from cron_runs r
                where r.status in (@succeeded, @failed, @timedOut)
                  and exists (select 1 from cron_state s where s.app = r.app and s.job = r.job)
            )
            where n <= @perJob
            order by app, job, n
            """, new { perJob, succeeded = CronRunStatus.Succeeded, failed = CronRunStatus.Failed, timedOut = CronRunStatus.TimedOut }).AsList();
    }

    /// <summary>At start-up: runs the previous platform left running can never finish.</summary>
    public int InterruptRunning(string now)
    {
        using var c = Open();
        return c.Execute("""
            update cron_runs set status = 'interrupted', finished_at = @now,
                error = coalesce(error, 'the platform stopped while this run was in progress')
            where status = 'running'
            """, new { now });
    }

    // ---- messages

    public void InsertMessage(MessageRecord m)
    {
        using var c = Open();
        c.Execute("""
            insert into messages(id, app, service, path, url, method, headers_json, body, not_before, retries, backoff_ms, attempts,
                status, last_status, last_error, created_at, finished_at)
            values (@Id, @App, @Service, @Path, @Url, @Method, @HeadersJson, @Body, @NotBefore, @Retries, @BackoffMs, @Attempts,
                @Status, @LastStatus, @LastError, @CreatedAt, @FinishedAt)
            """, m);
    }

    public long PendingCount(string app)
    {
        using var c = Open();
        return c.ExecuteScalar<long>("select count(*) from messages where app = @app and status = 'pending'", new { app });
    }

    /// <summary>How many messages of each app environment are in <paramref name="status"/> (apps with none are left out).</summary>
    public IReadOnlyList<(string App, long Count)> MessageCounts(string status)
    {
        using var c = Open();
        return c.Query<(string, long)>("select app, count(*) from messages where status = @status group by app", new { status }).ToList();
    }

    public MessageRecord? FindMessage(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<MessageRecord>("select * from messages where id = @id", new { id });
    }

    /// <summary>Pending messages due by <paramref name="now"/>, oldest first: a page after <paramref name="after"/>
    /// (the last message of the previous page), leaving out the messages of <paramref name="skipApps"/>.</summary>
    public IReadOnlyList<MessageRecord> DueMessages(DateTimeOffset now, int limit, MessageRecord? after = null, IReadOnlyCollection<string>? skipApps = null)
    {
        using var c = Open();
        return c.Query<MessageRecord>("""
            select * from messages where status = 'pending' and not_before <= @now
                and (@afterAt is null or not_before > @afterAt or (not_before = @afterAt and id > @afterId))
                and app not in @skip
            order by not_before, id limit @limit
            """, new { now = JobTime.Format(now), limit, afterAt = after?.NotBefore, afterId = after?.Id, skip = skipApps ?? [] }).AsList();
    }

    /// <summary>The earliest time a pending message is due, to sleep until then.</summary>
    public DateTimeOffset? NextDue()
    {
        using var c = Open();
        var next = c.ExecuteScalar<string?>("select min(not_before) from messages where status = 'pending'");
        return next is null ? null : JobTime.Parse(next);
    }

    public IReadOnlyList<MessageRecord> ListMessages(string app, string? status, int limit)
    {
        using var c = Open();
        return c.Query<MessageRecord>("""
            select * from messages where app = @app and (@status is null or status = @status)
            order by created_at desc, rowid desc limit @limit
            """, new { app, status, limit }).AsList();
    }

    /// <summary>The outcome of one attempt: delivered, pending again at <paramref name="notBefore"/>, or dead.</summary>
    public void RecordAttempt(string id, string status, long attempts, long? lastStatus, string? lastError, DateTimeOffset notBefore, DateTimeOffset now)
    {
        using var c = Open();
        c.Execute("""
            update messages set status = @status, attempts = @attempts, last_status = @lastStatus, last_error = @lastError,
                not_before = @notBefore, finished_at = case when @status = 'pending' then null else @now end
            where id = @id and status = 'pending'
            """, new { id, status, attempts, lastStatus, lastError, notBefore = JobTime.Format(notBefore), now = JobTime.Format(now) });
    }

    /// <summary>A dead message goes back to pending with a fresh set of attempts. False if it is not dead.</summary>
    public bool Requeue(string app, string id, DateTimeOffset now)
    {
        using var c = Open();
        return c.Execute("""
            update messages set status = 'pending', attempts = 0, not_before = @now, finished_at = null
            where id = @id and app = @app and status = 'dead'
            """, new { id, app, now = JobTime.Format(now) }) == 1;
    }

    public void PruneDelivered(DateTimeOffset now)
    {
        using var c = Open();
        c.Execute("delete from messages where status = 'delivered' and finished_at < @before", new { before = JobTime.Format(now - KeptDelivered) });
        c.Execute("delete from messages where status = 'dead' and finished_at < @before", new { before = JobTime.Format(now - KeptDead) });
    }
}
