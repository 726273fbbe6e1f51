using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Channels' part in key rotation: each channel's sealed secrets are re-sealed in the rotation's transaction.
/// (Channels are platform-wide, so destroying an app leaves them; an app named in a filter simply sends nothing.)</summary>
internal sealed class ChannelRows : ISealedRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (id, secrets) in connection.Query<(string, string)>("select id, secrets_enc from alert_channels", transaction: transaction).AsList())
        {
            connection.Execute("update alert_channels set secrets_enc = @secrets where id = @id", new { id, secrets = reencrypt(secrets) }, transaction);
        }
    }
}
