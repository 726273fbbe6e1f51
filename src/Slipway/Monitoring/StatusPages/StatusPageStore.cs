using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring.StatusPages;

/// <summary>Status pages in the platform's database (schema step 13). Incidents and their notes are the uptime
/// checks' (<see cref="Uptime.UptimeStore"/>): a page shows those of its apps.</summary>
internal sealed class StatusPageStore(Store store)
{
    private SqliteConnection Open() => store.Connections.Open();

    public IReadOnlyList<StatusPageRecord> List()
    {
        using var c = Open();
        return c.Query<StatusPageRecord>("select * from status_pages order by name").AsList();
    }

    public StatusPageRecord? Find(string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<StatusPageRecord>("select * from status_pages where name = @name", new { name });
    }

    public void Insert(string name, string host, string title, IReadOnlyList<string> apps, DateTimeOffset now)
    {
        using var c = Open();
        c.Execute("insert into status_pages (name, host, title, apps, created_at) values (@name, @host, @title, @apps, @now)",
            new { name, host, title, apps = JsonSerializer.Serialize(apps), now = UtcTime.Format(now) });
    }

    public bool Delete(string name)
    {
        using var c = Open();
        return c.Execute("delete from status_pages where name = @name", new { name }) > 0;
    }
}
