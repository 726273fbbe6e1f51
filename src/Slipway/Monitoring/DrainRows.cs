using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring;

/// <summary>Drains' part in the store-wide transactions: key rotation re-seals each drain's URL and headers, and
/// destroying an app environment deletes its drains (the running senders stop at the drains' next reconcile).</summary>
internal sealed class DrainRows : ISealedRows, IAppRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (id, url, headers) in connection.Query<(string, string, string)>("select id, url_enc, headers_enc from drains", transaction: transaction).AsList())
        {
            connection.Execute("update drains set url_enc = @url, headers_enc = @headers where id = @id",
                new { id, url = reencrypt(url), headers = reencrypt(headers) }, transaction);
        }
    }

    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record) =>
        connection.Execute("delete from drains where app = @app", new { app }, transaction);
}
