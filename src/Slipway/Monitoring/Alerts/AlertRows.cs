using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring.Alerts;

/// <summary>Destroying an app environment deletes its rule settings and its resolved alerts (an app of the same name
/// later starts with none). Its firing alerts stay: no source reports a destroyed environment, so the engine's next
/// rounds resolve them and the channels that were told they fired are told they ended; the history pruning takes them
/// later.</summary>
internal sealed class AlertRows : IAppRows
{
    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        connection.Execute("delete from alerts where app = @app and state = 'resolved'", new { app }, transaction);
        connection.Execute("delete from alert_settings where app = @app", new { app }, transaction);
    }
}
