using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Monitoring.Alerts;

/// <summary>Alerts and the rule settings changed from the CLI, in the platform's database (schema step 11).</summary>
internal sealed class AlertStore(Store store)
{
    private static readonly JsonSerializerOptions Json = JsonSpellings.Web();

    private SqliteConnection Open() => store.Connections.Open();

    public IReadOnlyList<AlertRecord> Firing()
    {
        using var c = Open();
        return c.Query<AlertRecord>("select * from alerts where state = 'firing' order by started_at").AsList();
    }

    /// <summary>Alerts that started or were still firing after <paramref name="since"/>, newest first.</summary>
    public IReadOnlyList<AlertRecord> History(DateTimeOffset since, string? app, int limit)
    {
        using var c = Open();
        return c.Query<AlertRecord>("""
            select * from alerts
            where (resolved_at is null or resolved_at >= @since) and (@app is null or app = @app)
            order by started_at desc limit @limit
            """, new { since, app, limit }).AsList();
    }

    public AlertRecord? Find(string id)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<AlertRecord>("select * from alerts where id = @id", new { id });
    }

    public void Insert(AlertRecord alert)
    {
        using var c = Open();
        c.Execute("""
            insert into alerts (id, rule, subject, app, severity, title, detail, channels, state, started_at, last_seen_at, resolved_at)
            values (@Id, @Rule, @Subject, @App, @Severity, @Title, @Detail, @Channels, @State, @StartedAt, @LastSeenAt, @ResolvedAt)
            """, alert);
    }

    /// <summary>The condition still holds: when, and what it says now (a rate moves while it stays over).</summary>
    public void Seen(IEnumerable<(string Id, DateTimeOffset At, string Title, string Detail)> seen)
    {
        using var c = Open();
        using var transaction = c.BeginTransaction();
        foreach (var (id, at, title, detail) in seen)
        {
            c.Execute("update alerts set last_seen_at = @at, title = @title, detail = @detail where id = @id", new { id, at, title, detail }, transaction);
        }
        transaction.Commit();
    }

    /// <summary>Marks a firing alert resolved; false when it was not firing (already resolved, or deleted with its app).</summary>
    public bool Resolve(string id, DateTimeOffset at)
    {
        using var c = Open();
        return c.Execute("update alerts set state = 'resolved', resolved_at = @at where id = @id and state = 'firing'", new { id, at }) == 1;
    }

    public void Delete(string id)
    {
        using var c = Open();
        c.Execute("delete from alerts where id = @id", new { id });
    }

    /// <summary>Undoes <see cref="Resolve"/> (its notice could not be queued).</summary>
    public void Reopen(string id)
    {
        using var c = Open();
        c.Execute("update alerts set state = 'firing', resolved_at = null where id = @id", new { id });
    }

    public int DeleteResolvedBefore(DateTimeOffset before)
    {
        using var c = Open();
        return c.Execute("delete from alerts where state = 'resolved' and resolved_at < @before", new { before });
    }

    /// <summary>Every setting row: (app row or "", rule, custom, spec).</summary>
    public IReadOnlyList<(string App, string Rule, bool Custom, AlertRuleSpec Spec)> Settings()
    {
        using var c = Open();
        return c.Query<(string, string, long, string)>("select app, rule, custom, spec from alert_settings order by app, rule")
            .Select(r => (r.Item1, r.Item2, r.Item3 != 0, JsonSerializer.Deserialize<AlertRuleSpec>(r.Item4, Json)!))
            .ToList();
    }

    public AlertRuleSpec? Setting(string app, string rule)
    {
        using var c = Open();
        var spec = c.QuerySingleOrDefault<string>("select spec from alert_settings where app = @app and rule = @rule", new { app, rule });
        return spec is null ? null : JsonSerializer.Deserialize<AlertRuleSpec>(spec, Json);
    }

    public void SaveSetting(string app, AlertRuleSpec spec, DateTimeOffset at)
    {
        using var c = Open();
        c.Execute("""
            insert into alert_settings (app, rule, custom, spec, updated_at) values (@app, @rule, @custom, @spec, @at)
            on conflict (app, rule) do update set custom = excluded.custom, spec = excluded.spec, updated_at = excluded.updated_at
            """, new { app, rule = spec.Name, custom = spec.IsCustom ? 1 : 0, spec = JsonSerializer.Serialize(spec, Json), at });
    }

    public bool DeleteSetting(string app, string rule)
    {
        using var c = Open();
        return c.Execute("delete from alert_settings where app = @app and rule = @rule", new { app, rule }) == 1;
    }
}
