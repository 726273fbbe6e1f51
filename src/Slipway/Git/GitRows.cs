using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Git;

/// <summary>Destroying an app's production environment removes its git remote and branch rules in the destroy's
/// transaction; its repository directory goes at the next start (<see cref="GitRemotes.RemoveOrphans"/>). Destroying
/// another environment leaves the remote (its rules may deploy again to a new environment of that name).</summary>
internal sealed class GitRows : IAppRows
{
    public void DeleteApp(SqliteConnection connection, SqliteTransaction transaction, string app, AppRecord? record)
    {
        if (record is not null && !record.Ref.IsProduction)
        {
            return;
        }
        connection.Execute("delete from git_branches where app = @app", new { app }, transaction);
        connection.Execute("delete from git_remotes where app = @app", new { app }, transaction);
    }
}
