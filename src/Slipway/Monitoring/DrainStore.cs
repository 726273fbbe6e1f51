using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Monitoring;

/// <summary>Drains in the platform's database (table from schema step 10). The URL and the headers are sealed under the
/// master key (<see cref="Keyring"/>) as config values are, and re-sealed by key rotation (<see cref="DrainRows"/>);
/// only the masked destination and the header names are stored in the clear.</summary>
internal sealed class DrainStore(Store store, Keyring keyring)
{
    private SqliteConnection Open() => store.Connections.Open();

    public IReadOnlyList<DrainRecord> List()
    {
        using var c = Open();
        return c.Query<DrainRecord>("select * from drains order by app, name").AsList();
    }

    /// <summary>The drain <paramref name="name"/> of app row <paramref name="app"/> ("": a drain of every app), or null.</summary>
    public DrainRecord? Find(string app, string name)
    {
        using var c = Open();
        return c.QuerySingleOrDefault<DrainRecord>("select * from drains where app = @app and name = @name", new { app, name });
    }

    public DrainRecord Insert(DrainSpec spec, DateTimeOffset now)
    {
        var app = spec.Scope?.Key ?? "";
        if (Find(app, spec.Name) is { } existing)
        {
            throw new UserException($"{existing.Whose} already has a drain named {spec.Name} (to {existing.Destination}). " +
                $"Pick another name, or remove it first: slipway drains rm {spec.Name} {Flags(spec.Scope)}.", 409);
        }
        var headers = spec.Headers.Select(h => new[] { h.Name, h.Value }).ToList();
        var record = new DrainRecord(Ids.New("dr"), app, spec.Scope?.App ?? "", spec.Scope?.Env ?? "", spec.Name, JsonSpellings.Of(spec.Kind),
            spec.Destination, keyring.Encrypt(spec.Url.OriginalString), keyring.Encrypt(JsonSerializer.Serialize(headers)),
            JsonSerializer.Serialize(spec.Headers.Select(h => h.Name).ToList()), spec.Access ? 1 : 0, spec.Gzip ? 1 : 0, spec.CaPem, now,
            JsonSpellings.Of(DrainState.Up), 0, 0, null, null, null);
        using var c = Open();
        c.Execute("""
            insert into drains (id, app, base_app, env, name, kind, destination, url_enc, headers_enc, header_names, access, gzip, ca_pem, created_at)
            values (@Id, @App, @BaseApp, @Env, @Name, @Kind, @Destination, @UrlEnc, @HeadersEnc, @HeaderNames, @Access, @Gzip, @CaPem, @CreatedAt)
            """, record);
        return record;
    }

    public bool Delete(string id)
    {
        using var c = Open();
        return c.Execute("delete from drains where id = @id", new { id }) > 0;
    }

    public void SaveStatus(string id, DrainStatus.Snapshot status)
    {
        using var c = Open();
        c.Execute("""
            update drains set state = @state, delivered = @Delivered, dropped = @Dropped, last_delivered_at = @LastDeliveredAt,
                last_error = @LastError, last_error_at = @LastErrorAt
            where id = @id
            """, new { id, state = JsonSpellings.Of(status.State), status.Delivered, status.Dropped, status.LastDeliveredAt, status.LastError, status.LastErrorAt });
    }

    /// <summary>The drain's URL and headers in the clear, for its sender only.</summary>
    public (Uri Url, IReadOnlyList<DrainHeader> Headers) Unseal(DrainRecord record)
    {
        var url = new Uri(keyring.Decrypt(record.UrlEnc), UriKind.Absolute);
        var headers = JsonSerializer.Deserialize<List<string[]>>(keyring.Decrypt(record.HeadersEnc)) ?? [];
        return (url, headers.Select(h => new DrainHeader(h[0], h[1])).ToList());
    }

    /// <summary>The CLI flags that name a drain's scope.</summary>
    public static string Flags(AppRef? scope) => scope?.Flags ?? "--platform";
}
