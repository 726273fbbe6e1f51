using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring.Alerts;

/// <summary>Destroying an app environment deletes its alerts and its rule settings (an app of the same name later
/// starts with none).</summary>
internal sealed class AlertRows : IAppRows
{
    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        connection.Execute("delete from alerts where app = @app", new { app }, transaction);
        connection.Execute("delete from alert_settings where app = @app", new { app }, transaction);
    }
}
