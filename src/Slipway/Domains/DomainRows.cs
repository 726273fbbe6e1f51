using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Domains;

/// <summary>Domains' part in key rotation (the ACME account key and EAB key are sealed) and in destroy (an app
/// environment's domains go with it, and the certificates Slipway issued for them are listed for the issuer to
/// delete, as `domains rm` does at once).</summary>
internal sealed class DomainRows : ISealedRows, IAppRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var key in AcmeSettings.SealedKeys)
        {
            if (connection.QuerySingleOrDefault<string>("select value from acme_settings where key = @key", new { key }, transaction) is { } value)
            {
                connection.Execute("update acme_settings set value = @value where key = @key", new { key, value = reencrypt(value) }, transaction);
            }
        }
    }

    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        foreach (var (host, redirects, thumbprint) in connection.Query<(string, string, string)>(
            "select host, redirect_from, acme_thumbprint from domains where app = @app and acme_thumbprint is not null", new { app }, transaction))
        {
            foreach (var name in (string[])[host, .. System.Text.Json.JsonSerializer.Deserialize<List<string>>(redirects) ?? []])
            {
                connection.Execute("insert or ignore into certificates_to_remove (host, thumbprint) values (@name, @thumbprint)",
                    new { name, thumbprint }, transaction);
            }
        }
        connection.Execute("delete from domains where app = @app", new { app }, transaction);
    }
}
