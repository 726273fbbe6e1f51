using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Jobs;

/// <summary>Jobs' part in the platform's store-wide transactions (see <see cref="JobStore"/> for its tables):
/// destroying an app deletes the app row's cron state, runs, messages and generated secrets
/// (<see cref="JobSecrets"/>), and key rotation re-seals messages' headers and bodies
/// (<see cref="MessageSealer"/>). Registered in <see cref="JobsRegistration"/>.</summary>
internal sealed class JobRows : IAppRows, ISealedRows
{
    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        foreach (var table in new[] { "cron_state", "cron_runs", "messages" })
        {
            connection.Execute($"delete from {table} where app = @app", new { app }, transaction);
        }
        if (record is not null)
        {
            connection.Execute("delete from config_vars where app = @base and env = @scope",
                new { @base = record.App, scope = JobSecrets.Scope(record.Env) }, transaction);
        }
    }

    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (id, headers, body) in connection.Query<(string, string, byte[]?)>("select id, headers_json, body from messages", transaction: transaction).AsList())
        {
            var (headersEnc, bodyEnc) = MessageSealer.Reseal(headers, body, reencrypt);
            connection.Execute("update messages set headers_json = @headersEnc, body = @bodyEnc where id = @id", new { headersEnc, bodyEnc, id }, transaction);
        }
    }
}
