using Microsoft.Data.Sqlite;
using Slipway.State;

namespace Slipway.Monitoring;

/// <summary>Opens a rebuildable SQLite file of Monitoring's own beside the platform's state (DATA/metrics.db,
/// DATA/uptime.db): when it cannot be opened, the damaged file is moved aside (kept for a look) and a new one started,
/// rather than the platform refusing to start.</summary>
internal static class SideDatabase
{
    /// <param name="create">Opens the file and makes its tables (idempotent).</param>
    /// <param name="damaged">Told the file's path and where it went, with the error, when it was moved aside.</param>
    public static SqliteConnectionFactory Open(string path, Func<string, SqliteConnectionFactory> create, DateTimeOffset now,
        Action<string, string, Exception> damaged)
    {
        try
        {
            return create(path);
        }
        catch (SqliteException e)
        {
            var aside = $"{path}.damaged-{now:yyyyMMddHHmmss}";
            SqliteConnection.ClearAllPools(); // an idle pooled connection would still hold the damaged file
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                if (File.Exists(path + suffix))
                {
                    File.Move(path + suffix, aside + suffix, overwrite: true);
                }
            }
            damaged(path, aside, e);
            return create(path);
        }
    }
}
