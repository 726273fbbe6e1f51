using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Errors;

/// <summary>Error tracking's rows in their own SQLite file, DATA/errors.db, so a burst of events never writes to the
/// platform's state: projects (one per app environment, with the DSN's key), issues and their events (bodies
/// gzipped), and which users each issue affected (hashed). The issue list reads one index (app, last seen), so it
/// stays fast however many events there are. A damaged file is moved aside and a new one started.</summary>
internal sealed partial class ErrorStore
{
    private readonly SqliteConnectionFactory _db;
    private readonly TimeProvider _clock;

    public ErrorStore(ErrorsOptions options, TimeProvider clock, ILogger<ErrorStore> logger)
    {
        _clock = clock;
        Directory.CreateDirectory(options.DataDir);
        _db = Monitoring.SideDatabase.Open(Path.Combine(options.DataDir, "errors.db"), Create, clock.GetUtcNow(),
            (file, aside, e) => LogDamaged(logger, file, aside, e));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Error tracking's database {Path} could not be opened; moved to {Aside}, starting a new one")]
    private static partial void LogDamaged(ILogger logger, string path, string aside, Exception exception);

    private static SqliteConnectionFactory Create(string path)
    {
        var db = new SqliteConnectionFactory(path);
        using var c = db.Open();
        // A file of the first version of this schema (no regressed_at): the column is added before the index on it.
        if (c.ExecuteScalar<long>("select count(*) from sqlite_master where name = 'issues'") > 0 &&
            c.ExecuteScalar<long>("select count(*) from pragma_table_info('issues') where name = 'regressed_at'") == 0)
        {
            c.Execute("alter table issues add column regressed_at integer");
        }
        c.Execute("""
            pragma auto_vacuum = incremental;
            create table if not exists projects (
                id integer primary key autoincrement,
                app_key text not null unique,
                public_key text not null,
                created_at text not null
            );
            create table if not exists issues (
                id integer primary key autoincrement,
                app_key text not null,
                fingerprint text not null,
                title text not null,
                culprit text,
                level text not null,
                status text not null,
                first_seen integer not null,
                last_seen integer not null,
                count integer not null,
                users integer not null,
                first_release text,
                last_release text,
                resolved_in text,
                regressed_in text,
                regressed_at integer,
                unique (app_key, fingerprint)
            );
            create index if not exists issues_by_first_seen on issues(first_seen);
            create index if not exists issues_by_regression on issues(regressed_at);
            create table if not exists issue_hours (
                issue_id integer not null references issues(id) on delete cascade,
                hour integer not null,
                count integer not null,
                primary key (issue_id, hour)
            ) without rowid;
            create index if not exists issue_hours_by_hour on issue_hours(hour);
            create index if not exists issues_by_app on issues(app_key, last_seen desc);
            create table if not exists events (
                id integer primary key autoincrement,
                issue_id integer not null references issues(id) on delete cascade,
                app_key text not null,
                event_id text not null,
                received_at integer not null,
                release text,
                environment text,
                size integer not null,
                body blob not null,
                unique (app_key, event_id)
            );
            create index if not exists events_by_issue on events(issue_id, id);
            create index if not exists events_by_time on events(received_at);
            create table if not exists issue_users (
                issue_id integer not null references issues(id) on delete cascade,
                user_key text not null,
                primary key (issue_id, user_key)
            ) without rowid;
            """);
        return db;
    }

    /// <summary>The project of an app environment (its row key), made the first time it is asked for.</summary>
    public ErrorProject ProjectFor(string appKey)
    {
        using var c = _db.Open();
        if (c.QuerySingleOrDefault<ErrorProject>("select id, app_key, public_key from projects where app_key = @appKey", new { appKey }) is { } found)
        {
            return found;
        }
        c.Execute("insert or ignore into projects (app_key, public_key, created_at) values (@appKey, @key, @now)",
            new { appKey, key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), now = UtcTime.Format(_clock.GetUtcNow()) });
        return c.QuerySingle<ErrorProject>("select id, app_key, public_key from projects where app_key = @appKey", new { appKey });
    }

    public ErrorProject? FindProject(long id)
    {
        using var c = _db.Open();
        return c.QuerySingleOrDefault<ErrorProject>("select id, app_key, public_key from projects where id = @id", new { id });
    }

    /// <summary>Stores <paramref name="e"/> in its issue (made when new). <paramref name="orderOf"/> gives a release's
    /// place in the environment's deploy order (null when it was never deployed here): a resolved issue seen in a release
    /// placed after the one it was resolved in regresses.</summary>
    public (IssueRecord Issue, IngestOutcome Outcome) Add(string appKey, ErrorEvent e, string fingerprint, Func<string?, long?> orderOf)
    {
        var body = Gzip(e.Body.ToJsonString());
        var now = _clock.GetUtcNow();
        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        var existing = c.QuerySingleOrDefault<IssueRow>("select * from issues where app_key = @appKey and fingerprint = @fingerprint", new { appKey, fingerprint }, tx);
        if (existing is not null && c.ExecuteScalar<long>("select count(*) from events where app_key = @appKey and event_id = @EventId", new { appKey, e.EventId }, tx) > 0)
        {
            return (existing.Record, IngestOutcome.Duplicate);
        }
        IngestOutcome outcome;
        long issueId;
        var at = e.Timestamp.ToUnixTimeMilliseconds();
        if (existing is null)
        {
            issueId = c.ExecuteScalar<long>("""
                insert into issues (app_key, fingerprint, title, culprit, level, status, first_seen, last_seen, count, users, first_release, last_release)
                values (@appKey, @fingerprint, @Title, @Culprit, @Level, 'unresolved', @at, @at, 0, 0, @Release, @Release) returning id
                """, new { appKey, fingerprint, e.Title, e.Culprit, e.Level, at, e.Release }, tx);
            outcome = IngestOutcome.New;
        }
        else
        {
            issueId = existing.Id;
            outcome = existing.Status switch
            {
                "resolved" when Newer(e.Release, existing.ResolvedIn, orderOf) => IngestOutcome.Regressed,
                "resolved" => IngestOutcome.StillResolved,
                _ => IngestOutcome.Counted,
            };
        }
        c.Execute("""
            update issues set title = @Title, culprit = @Culprit, level = @Level, last_seen = max(last_seen, @at), first_seen = min(first_seen, @at),
                count = count + 1, last_release = coalesce(@Release, last_release),
                status = case when @regressed then 'unresolved' else status end,
                regressed_in = case when @regressed then @Release else regressed_in end,
                regressed_at = case when @regressed then @received else regressed_at end
            where id = @issueId
            """, new { e.Title, e.Culprit, e.Level, at, e.Release, regressed = outcome == IngestOutcome.Regressed, issueId, received = now.ToUnixTimeMilliseconds() }, tx);
        c.Execute("""
            insert into issue_hours (issue_id, hour, count) values (@issueId, @hour, 1)
            on conflict (issue_id, hour) do update set count = count + 1
            """, new { issueId, hour = HourOf(now) }, tx);
        if (e.UserKey is not null && c.Execute("insert or ignore into issue_users (issue_id, user_key) values (@issueId, @UserKey)", new { issueId, e.UserKey }, tx) > 0)
        {
            c.Execute("update issues set users = users + 1 where id = @issueId", new { issueId }, tx);
        }
        c.Execute("""
            insert or ignore into events (issue_id, app_key, event_id, received_at, release, environment, size, body)
            values (@issueId, @appKey, @EventId, @now, @Release, @Environment, @size, @body)
            """, new { issueId, appKey, e.EventId, now = now.ToUnixTimeMilliseconds(), e.Release, e.Environment, size = body.Length, body }, tx);
        var issue = c.QuerySingle<IssueRow>("select * from issues where id = @issueId", new { issueId }, tx).Record;
        tx.Commit();
        return (issue, outcome);
    }

    /// <summary>Whether <paramref name="release"/> was deployed after <paramref name="resolvedIn"/>. Unknown orders
    /// (a release name the app set itself) count as newer when the name differs: an event after the fix is news.</summary>
    private static bool Newer(string? release, string? resolvedIn, Func<string?, long?> orderOf)
    {
        if (resolvedIn is null)
        {
            return true;
        }
        if (release is null || release == resolvedIn)
        {
            return false;
        }
        return orderOf(release) is { } seen && orderOf(resolvedIn) is { } resolved ? seen > resolved : true;
    }

    public IReadOnlyList<IssueRecord> List(string appKey, DateTimeOffset? since, IssueStatus? status, int limit)
    {
        using var c = _db.Open();
        return c.Query<IssueRow>($"""
            select * from issues where app_key = @appKey {(since is null ? "" : "and last_seen >= @since")} {(status is null ? "" : "and status = @status")}
            order by last_seen desc limit @limit
            """, new { appKey, since = since?.ToUnixTimeMilliseconds(), status = status is { } s ? JsonSpellings.Of(s) : null, limit })
            .Select(r => r.Record).ToList();
    }

    public IssueRecord? Find(long id)
    {
        using var c = _db.Open();
        return c.QuerySingleOrDefault<IssueRow>("select * from issues where id = @id", new { id })?.Record;
    }

    /// <summary>The issue's latest events, newest first, bodies unzipped.</summary>
    public IReadOnlyList<StoredEvent> Events(long issueId, int limit)
    {
        using var c = _db.Open();
        return c.Query<(long Id, long IssueId, string EventId, long ReceivedAt, string? Release, string? Environment, byte[] Body)>(
                "select id, issue_id, event_id, received_at, release, environment, body from events where issue_id = @issueId order by id desc limit @limit",
                new { issueId, limit })
            .Select(r => new StoredEvent(r.Id, r.IssueId, r.EventId, DateTimeOffset.FromUnixTimeMilliseconds(r.ReceivedAt), r.Release, r.Environment, Gunzip(r.Body)))
            .ToList();
    }

    /// <summary>Sets an issue's status; resolving records the release it was resolved in.</summary>
    public IssueRecord SetStatus(long id, IssueStatus status, string? resolvedIn)
    {
        using var c = _db.Open();
        c.Execute("update issues set status = @status, resolved_in = case when @status = 'resolved' then @resolvedIn else resolved_in end where id = @id",
            new { id, status = JsonSpellings.Of(status), resolvedIn });
        return c.QuerySingle<IssueRow>("select * from issues where id = @id", new { id }).Record;
    }

    /// <summary>Everything of an app environment (destroy).</summary>
    public void DeleteApp(string appKey)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        c.Execute("delete from events where app_key = @appKey", new { appKey }, tx);
        c.Execute("delete from issue_users where issue_id in (select id from issues where app_key = @appKey)", new { appKey }, tx);
        c.Execute("delete from issue_hours where issue_id in (select id from issues where app_key = @appKey)", new { appKey }, tx);
        c.Execute("delete from issues where app_key = @appKey", new { appKey }, tx);
        c.Execute("delete from projects where app_key = @appKey", new { appKey }, tx);
        tx.Commit();
    }

    /// <summary>Retention: events received and issues last seen before <paramref name="now"/> − <paramref name="keep"/>
    /// go; then, per app environment over <paramref name="maxBytes"/> of event bodies, the oldest events go first, each
    /// issue keeping its latest one. Returns how many events were deleted.</summary>
    public long Sweep(DateTimeOffset now, TimeSpan keep, long maxBytes)
    {
        var cutoff = (now - keep).ToUnixTimeMilliseconds();
        using var c = _db.Open();
        long deleted;
        using (var tx = c.BeginTransaction())
        {
            deleted = c.Execute("delete from events where received_at < @cutoff", new { cutoff }, tx);
            c.Execute("delete from issue_users where issue_id in (select id from issues where last_seen < @cutoff)", new { cutoff }, tx);
            c.Execute("delete from issue_hours where hour < @hour", new { hour = HourOf(now) - 48 }, tx);
            c.Execute("delete from issue_hours where issue_id in (select id from issues where last_seen < @cutoff)", new { cutoff }, tx);
            c.Execute("delete from issues where last_seen < @cutoff and not exists (select 1 from events where issue_id = issues.id)", new { cutoff }, tx);
            tx.Commit();
        }
        foreach (var (appKey, bytes) in c.Query<(string AppKey, long Bytes)>("select app_key, sum(size) from events group by app_key having sum(size) > @maxBytes", new { maxBytes }).ToList())
        {
            var over = bytes - maxBytes;
            // The oldest events first, never an issue's latest: batches of a thousand until the app is under its share.
            while (over > 0)
            {
                var batch = c.Query<(long Id, long Size)>("""
                    select id, size from events where app_key = @appKey
                      and id not in (select max(id) from events where app_key = @appKey group by issue_id)
                    order by received_at, id limit 1000
                    """, new { appKey }).ToList();
                if (batch.Count == 0)
                {
                    break;
                }
                var take = new List<long>();
                foreach (var (id, size) in batch)
                {
                    take.Add(id);
                    over -= size;
                    if (over <= 0)
                    {
                        break;
                    }
                }
                deleted += c.Execute("delete from events where id in @take", new { take });
            }
        }
        if (deleted > 0)
        {
            c.Execute("pragma incremental_vacuum");
        }
        return deleted;
    }

    /// <summary>Bytes of stored event bodies of an app environment.</summary>
    public long BytesOf(string appKey)
    {
        using var c = _db.Open();
        return c.ExecuteScalar<long?>("select sum(size) from events where app_key = @appKey", new { appKey }) ?? 0;
    }

    public static long HourOf(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 3_600_000;

    /// <summary>Unresolved issues first seen since <paramref name="since"/> (the "error-new" alert).</summary>
    public IReadOnlyList<IssueRecord> NewSince(DateTimeOffset since)
    {
        using var c = _db.Open();
        return c.Query<IssueRow>("select * from issues where first_seen >= @since and status = 'unresolved' order by id limit 500",
            new { since = since.ToUnixTimeMilliseconds() }).Select(r => r.Record).ToList();
    }

    /// <summary>Unresolved issues that regressed since <paramref name="since"/> (the "error-regression" alert).</summary>
    public IReadOnlyList<IssueRecord> RegressedSince(DateTimeOffset since)
    {
        using var c = _db.Open();
        return c.Query<IssueRow>("select * from issues where regressed_at >= @since and status = 'unresolved' order by id limit 500",
            new { since = since.ToUnixTimeMilliseconds() }).Select(r => r.Record).ToList();
    }

    /// <summary>Per issue with events in the current or the previous hour: its events in the last hour (the previous
    /// hour's counted for the part of it still inside) and its hourly average over the 24 hours before that.</summary>
    public IReadOnlyList<(IssueRecord Issue, double LastHour, double Baseline)> Rates(DateTimeOffset now)
    {
        var hour = HourOf(now);
        var inside = 1 - (now.ToUnixTimeMilliseconds() % 3_600_000) / 3_600_000.0;
        using var c = _db.Open();
        // One statement: the hourly sums per issue, joined to the issue rows (no query per issue every round).
        return c.Query<IssueRow, (long Current, long Previous, long Before), (IssueRecord, double, double)>("""
            select i.*, h.current, h.previous, h.before from (
                select issue_id,
                       sum(case when hour = @hour then count else 0 end) as current,
                       sum(case when hour = @hour - 1 then count else 0 end) as previous,
                       sum(case when hour between @hour - 25 and @hour - 2 then count else 0 end) as before
                from issue_hours where hour >= @hour - 25
                group by issue_id having sum(case when hour >= @hour - 1 then count else 0 end) > 0) h
            join issues i on i.id = h.issue_id
            """, (issue, sums) => (issue.Record, sums.Current + sums.Previous * inside, sums.Before / 24.0), new { hour }, splitOn: "current").ToList();
    }

    private static byte[] Gzip(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }
        return buffer.ToArray();
    }

    private static string Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private sealed record IssueRow(long Id, string AppKey, string Fingerprint, string Title, string? Culprit, string Level, string Status, long FirstSeen, long LastSeen,
        long Count, long Users, string? FirstRelease, string? LastRelease, string? ResolvedIn, string? RegressedIn, long? RegressedAt)
    {
        public IssueRecord Record => new(Id, AppKey, Fingerprint, Title, Culprit, Level, JsonSpellings.Parse<IssueStatus>(Status),
            DateTimeOffset.FromUnixTimeMilliseconds(FirstSeen), DateTimeOffset.FromUnixTimeMilliseconds(LastSeen), Count, Users, FirstRelease, LastRelease,
            ResolvedIn, RegressedIn);
    }
}

/// <summary>An app environment's error project: its numeric id (the SDKs want one) and the DSN's public key.</summary>
internal sealed record ErrorProject(long Id, string AppKey, string PublicKey);
