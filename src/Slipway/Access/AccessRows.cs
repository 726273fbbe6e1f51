using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Access;

/// <summary>Access's part in key rotation: users' TOTP secrets are sealed under the master key.</summary>
internal sealed class AccessRows : ISealedRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (id, secret) in connection.Query<(string, string)>("select id, totp_secret_enc from users where totp_secret_enc is not null", transaction: transaction).AsList())
        {
            connection.Execute("update users set totp_secret_enc = @sealed where id = @id", new { @sealed = reencrypt(secret), id }, transaction);
        }
    }
}
