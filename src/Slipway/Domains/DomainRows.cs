using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Domains;

/// <summary>Domains' part in key rotation (the ACME account key and EAB key are sealed) and in destroy (an app
/// environment's domains go with it; their certificate files are left to expire, see CustomDomains.Remove).</summary>
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

    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record) =>
        connection.Execute("delete from domains where app = @app", new { app }, transaction);
}
