using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring.Uptime;

/// <summary>Checks, incidents and their notes in the platform's database (tables of schema step 13).</summary>
internal sealed class UptimeStore(Store store)
{
    private long _changes;

    private SqliteConnection Open() => store.Connections.Open();

    /// <summary>Counts the changes made through this store (checks, incidents, notes), so a rendered status page can be
    /// reused until something it shows changed.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    private void Changed() => Interlocked.Increment(ref _changes);

    public IReadOnlyList<UptimeCheckRecord> Checks()
    {
        using var c = Open();
        return c.Query<UptimeCheckRecord>("select * from uptime_checks order by name").AsList();
    }

    public UptimeCheckRecord? Find(string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<UptimeCheckRecord>("select * from uptime_checks where name = @name", new { name });
    }

    /// <summary>Inserts the row unless its name is taken (false then).</summary>
    public bool TryInsert(UptimeCheckRecord record)
    {
        Changed();
        using var c = Open();
        return c.Execute("""
            insert into uptime_checks (id, name, kind, app, url, every_ms, expect, timeout_ms, slo, path, paused, created_at)
            values (@Id, @Name, @Kind, @App, @Url, @EveryMs, @Expect, @TimeoutMs, @Slo, @Path, @Paused, @CreatedAt)
            on conflict (name) do nothing
            """, record) > 0;
    }

    /// <summary>Deletes a check with its incidents and their notes.</summary>
    public void Delete(string id)
    {
        Changed();
        using var c = Open();
        using var tx = c.BeginTransaction();
        c.Execute("delete from uptime_incidents where check_id = @id", new { id }, tx);
        c.Execute("delete from uptime_checks where id = @id", new { id }, tx);
        tx.Commit();
    }

    public void Update(UptimeCheckRecord record)
    {
        Changed();
        using var c = Open();
        c.Execute("""
            update uptime_checks set every_ms = @EveryMs, expect = @Expect, timeout_ms = @TimeoutMs, slo = @Slo, path = @Path, paused = @Paused
            where id = @Id
            """, record);
    }

    public IReadOnlyList<UptimeIncident> OpenIncidents()
    {
        using var c = Open();
        return c.Query<UptimeIncident>("select * from uptime_incidents where ended_at is null order by started_at").AsList();
    }

    /// <summary>Incidents of the app environments <paramref name="apps"/> (row keys) that were open at some time after
    /// <paramref name="since"/>, newest first.</summary>
    public IReadOnlyList<UptimeIncident> Incidents(IReadOnlyList<string> apps, DateTimeOffset since)
    {
        using var c = Open();
        return c.Query<UptimeIncident>("""
            select * from uptime_incidents where app in @apps and (ended_at is null or ended_at >= @since) order by started_at desc
            """, new { apps, since = UtcTime.Format(since) }).AsList();
    }

    /// <summary>Incidents of one check open at some time after <paramref name="since"/>.</summary>
    public IReadOnlyList<UptimeIncident> IncidentsOf(string checkId, DateTimeOffset since)
    {
        using var c = Open();
        return c.Query<UptimeIncident>("""
            select * from uptime_incidents where check_id = @checkId and (ended_at is null or ended_at >= @since) order by started_at
            """, new { checkId, since = UtcTime.Format(since) }).AsList();
    }

    public UptimeIncident? Incident(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<UptimeIncident>("select * from uptime_incidents where id = @id", new { id });
    }

    public void Insert(UptimeIncident incident)
    {
        Changed();
        using var c = Open();
        c.Execute("""
            insert into uptime_incidents (id, check_id, app, title, started_at, ended_at, cause, last_cause, manual)
            values (@Id, @CheckId, @App, @Title, @StartedAt, @EndedAt, @Cause, @LastCause, @Manual)
            """, incident);
    }

    public void Close(string id, DateTimeOffset endedAt, string? lastCause = null)
    {
        Changed();
        using var c = Open();
        c.Execute("update uptime_incidents set ended_at = @endedAt, last_cause = coalesce(@lastCause, last_cause) where id = @id and ended_at is null",
            new { id, endedAt = UtcTime.Format(endedAt), lastCause });
    }

    public void SetLastCause(string id, string cause)
    {
        Changed();
        using var c = Open();
        c.Execute("update uptime_incidents set last_cause = @cause where id = @id", new { id, cause });
    }

    public void AddNote(string incidentId, DateTimeOffset at, string body, bool resolved, string author)
    {
        Changed();
        using var c = Open();
        c.Execute("insert into uptime_incident_notes (incident_id, at, body, resolved, author) values (@incidentId, @at, @body, @resolved, @author)",
            new { incidentId, at = UtcTime.Format(at), body, resolved = resolved ? 1 : 0, author });
    }

    public IReadOnlyList<IncidentNote> Notes(IReadOnlyList<string> incidentIds)
    {
        using var c = Open();
        return c.Query<IncidentNote>("select * from uptime_incident_notes where incident_id in @incidentIds order by at, id", new { incidentIds }).AsList();
    }

    /// <summary>Closed incidents that ended before <paramref name="before"/> go, with their notes.</summary>
    public int Prune(DateTimeOffset before)
    {
        Changed();
        using var c = Open();
        return c.Execute("delete from uptime_incidents where ended_at is not null and ended_at < @before", new { before = UtcTime.Format(before) });
    }
}
