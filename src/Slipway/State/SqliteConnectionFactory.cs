using Dapper;
using Microsoft.Data.Sqlite;

namespace Slipway.State;

/// <summary>Opens connections to the platform's SQLite database, set up the same way for every store that keeps
/// rows in it (State's <see cref="Store"/>, Jobs, Databases). The connection string is the same everywhere, so
/// they all share one pool.
///
/// Per connection, on every open (a pooled connection keeps what a previous user set, such as the key
/// rotation's <c>synchronous = full</c>, so each open puts it back):
/// <list type="bullet">
/// <item><c>busy_timeout</c>: a writer waits for another connection's write lock instead of failing at once.</item>
/// <item><c>foreign_keys = on</c>: a reference declared in the schema is enforced for every store alike.</item>
/// <item><c>synchronous = normal</c>: a WAL commit survives a crash of the platform (SIGKILL) but is not fsynced;
/// what must be on disk before something else happens (the key rotation) asks for <c>full</c> itself.</item>
/// </list>
/// Per database file, once: <c>journal_mode = wal</c> (kept in the file), so readers never block the writer.</summary>
internal sealed class SqliteConnectionFactory
{
    /// <summary>How long a statement waits for another connection's lock, in milliseconds.</summary>
    public const int BusyTimeoutMs = 10_000;

    private static readonly string ConnectionPragmas = $"pragma busy_timeout = {BusyTimeoutMs}; pragma foreign_keys = on; pragma synchronous = normal;";

    private readonly string _connectionString;
    private volatile bool _walSet;

    // Every store maps snake_case columns onto its records' properties, and times stored as text (UtcTime) onto
    // DateTimeOffset. (Dapper reads enums with Enum.Parse and no handler, so records with enums read a row type.)
    static SqliteConnectionFactory()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Dapper binds a parameter by its built-in type map before any handler: without these removals a time
        // would be written in Microsoft.Data.Sqlite's own format, which does not sort with UtcTime's.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new UtcTimeHandler());
    }

    private sealed class UtcTimeHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override DateTimeOffset Parse(object value) => UtcTime.Parse((string)value);

        public override void SetValue(System.Data.IDbDataParameter parameter, DateTimeOffset value)
        {
            parameter.DbType = System.Data.DbType.String;
            parameter.Value = UtcTime.Format(value);
        }
    }

    public SqliteConnectionFactory(string databasePath)
    {
        DatabasePath = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DatabasePath { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            connection.Execute(ConnectionPragmas);
            if (!_walSet)
            {
                // Idempotent, so two first opens racing here is harmless.
                connection.Execute("pragma journal_mode = wal");
                _walSet = true;
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
