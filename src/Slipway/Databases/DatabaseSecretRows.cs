using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>Databases' part in key rotation (see <see cref="DatabaseStore"/> for its tables): each environment's
/// database password and the URLs of servers admins added are re-sealed in the rotation's transaction.
/// (The cluster's superuser password lives in postgres.json, re-sealed by <see cref="PostgresCluster"/> as a
/// sealed file.) A destroyed app's databases are dropped by <see cref="DatabaseProvisioner"/>, server and all,
/// before the store deletes the app, so there is nothing to delete here. Registered in
/// <see cref="DatabaseRegistration"/>.</summary>
internal sealed class DatabaseSecretRows : ISealedRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (id, secret) in connection.Query<(string, string)>("select id, secret_enc from databases", transaction: transaction).AsList())
        {
            connection.Execute("update databases set secret_enc = @enc where id = @id", new { enc = reencrypt(secret), id }, transaction);
        }
        foreach (var (name, url) in connection.Query<(string, string)>("select name, url_enc from db_servers", transaction: transaction).AsList())
        {
            connection.Execute("update db_servers set url_enc = @enc where name = @name", new { enc = reencrypt(url), name }, transaction);
        }
    }
}
