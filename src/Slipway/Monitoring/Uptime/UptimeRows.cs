using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring.Uptime;

/// <summary>Destroying an app environment deletes its checks (its default check and those added with --app), their
/// incidents and notes, in the destroy's transaction; the monitor drops them at its next reconcile.</summary>
internal sealed class UptimeRows : IAppRows
{
    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        connection.Execute("delete from uptime_incidents where app = @app", new { app }, transaction);
        connection.Execute("delete from uptime_checks where app = @app", new { app }, transaction);
    }
}
