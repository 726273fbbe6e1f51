using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Git;

/// <summary>Key rotation re-seals each remote's webhook secret and token. Destroying an app's production environment removes its git remote and branch rules in the destroy's
/// transaction; its repository directory goes at the next start (<see cref="GitRemotes.RemoveOrphans"/>). Destroying
/// another environment leaves the remote (its rules may deploy again to a new environment of that name).</summary>
internal sealed class GitRows : IAppRows, ISealedRows
{
    public void Reseal(SqliteConnection connection, SqliteTransaction transaction, Func<string, string> reencrypt)
    {
        foreach (var (app, secret, token) in connection.Query<(string, string?, string?)>(
            "select app, webhook_secret_enc, token_enc from git_remotes where forge is not null", transaction: transaction).AsList())
        {
            connection.Execute("update git_remotes set webhook_secret_enc = @secret, token_enc = @token where app = @app",
                new { app, secret = secret is null ? null : reencrypt(secret), token = token is null ? null : reencrypt(token) }, transaction);
        }
    }

    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        if (record is not null && record.Ref.IsPreview)
        {
            connection.Execute("delete from git_previews where app = @app and number = @number",
                new { app = record.App, number = long.Parse(record.Env["pr-".Length..], System.Globalization.CultureInfo.InvariantCulture) }, transaction);
            return;
        }
        if (record is not null && !record.Ref.IsProduction)
        {
            return;
        }
        connection.Execute("delete from git_branches where app = @app", new { app }, transaction);
        connection.Execute("delete from git_deliveries where app = @app", new { app }, transaction);
        connection.Execute("delete from git_previews where app = @app", new { app }, transaction);
        connection.Execute("delete from git_closed_pulls where app = @app", new { app }, transaction);
        connection.Execute("delete from git_pulls_seen where app = @app", new { app }, transaction);
        connection.Execute("delete from git_remotes where app = @app", new { app }, transaction);
    }
}
