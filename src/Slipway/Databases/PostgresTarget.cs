using Npgsql;

namespace Slipway.Databases;

/// <summary>A PostgreSQL server Slipway administers: its managed cluster, or one an admin added with
/// `slipway db server add`. Holds the administrator's credentials; never logged.</summary>
internal sealed record PostgresTarget(string Server, string Host, int Port, string AdminUser, string AdminPassword, string AdminDatabase = "postgres")
{
    /// <summary>Never the password (a record would print every property).</summary>
    public override string ToString() => $"{Server} ({AdminUser}@{Host}:{Port})";

    public string ConnectionString(string? database = null, string? user = null, string? password = null) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = user ?? AdminUser,
        Password = password ?? AdminPassword,
        Database = database ?? AdminDatabase,
        // No pool: a connection from before a server restart would fail its first command.
        Pooling = false,
        // The managed cluster authenticates with SCRAM only: a process that took its port while it was down and asks
        // for the password in clear text gets nothing.
        RequireAuth = Server == DatabaseRecord.Managed ? "ScramSHA256" : null,
        Timeout = 15,
        CommandTimeout = 0,
    }.ConnectionString;

    public async Task<NpgsqlConnection> OpenAsync(string? database, CancellationToken token)
    {
        var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync(token);
        return connection;
    }

    /// <summary>The environment for pg_dump, pg_restore and psql as the administrator (no password on a command line).</summary>
    public Dictionary<string, string> ClientEnv() => new(StringComparer.Ordinal)
    {
        ["PGHOST"] = Host,
        ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["PGUSER"] = AdminUser,
        ["PGPASSWORD"] = AdminPassword,
        ["PGCONNECT_TIMEOUT"] = "15",
    };

    /// <summary>What an app gets: its own role on its own database.</summary>
    public string AppUrl(string role, string password, string database) =>
        $"postgres://{Uri.EscapeDataString(role)}:{Uri.EscapeDataString(password)}@{Host}:{Port}/{Uri.EscapeDataString(database)}";

    public static PostgresTarget FromUrl(string server, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || uri.UserInfo.Length == 0)
        {
            throw new UserException("Expected an administrator URL like postgres://admin:PASSWORD@db.internal:5432/postgres (a role with CREATEDB and CREATEROLE).");
        }
        var (user, _, password) = uri.UserInfo.Partition(':');
        var database = uri.AbsolutePath.Trim('/');
        return new PostgresTarget(server, uri.Host, uri.Port > 0 ? uri.Port : 5432, Uri.UnescapeDataString(user), Uri.UnescapeDataString(password),
            database.Length == 0 ? "postgres" : Uri.UnescapeDataString(database));
    }
}

internal static class StringPartition
{
    public static (string Before, bool Found, string After) Partition(this string text, char separator)
    {
        var i = text.IndexOf(separator, StringComparison.Ordinal);
        return i < 0 ? (text, false, "") : (text[..i], true, text[(i + 1)..]);
    }
}
