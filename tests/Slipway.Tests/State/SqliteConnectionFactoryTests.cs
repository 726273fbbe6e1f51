using Dapper;
using Microsoft.Data.Sqlite;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.State;

public sealed class SqliteConnectionFactoryTests : IDisposable
{
    private readonly string _dir = TempDirs.Create("connections");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TempDirs.Delete(_dir);
    }

    [Fact]
    public void A_connection_is_opened_with_wal_foreign_keys_and_a_busy_timeout()
    {
        var connections = new SqliteConnectionFactory(Path.Combine(_dir, "slipway.db"));

        using var c = connections.Open();

        c.ExecuteScalar<string>("pragma journal_mode").Should().Be("wal");
        c.ExecuteScalar<long>("pragma foreign_keys").Should().Be(1);
        c.ExecuteScalar<long>("pragma busy_timeout").Should().Be(SqliteConnectionFactory.BusyTimeoutMs);
        c.ExecuteScalar<long>("pragma synchronous").Should().Be(1, "normal: WAL commits survive a crash of the platform without an fsync each");
    }

    [Fact]
    public void A_pooled_connection_gets_the_settings_back_whatever_its_last_user_changed()
    {
        var connections = new SqliteConnectionFactory(Path.Combine(_dir, "slipway.db"));
        using (var first = connections.Open())
        {
            // What key rotation does before its commit, and what nothing may leave behind for the next user.
            first.Execute("pragma synchronous = full; pragma foreign_keys = off; pragma busy_timeout = 1;");
        }

        using var again = connections.Open();

        again.ExecuteScalar<long>("pragma synchronous").Should().Be(1);
        again.ExecuteScalar<long>("pragma foreign_keys").Should().Be(1);
        again.ExecuteScalar<long>("pragma busy_timeout").Should().Be(SqliteConnectionFactory.BusyTimeoutMs);
    }

    [Fact]
    public void A_reference_declared_in_the_schema_is_enforced()
    {
        var connections = new SqliteConnectionFactory(Path.Combine(_dir, "slipway.db"));
        using var c = connections.Open();
        c.Execute("create table parent (id text primary key); create table child (parent_id text not null references parent(id));");

        var orphan = () => c.Execute("insert into child(parent_id) values ('missing')");

        orphan.Should().Throw<SqliteException>().Which.SqliteErrorCode.Should().Be(19, "SQLITE_CONSTRAINT: foreign key");
    }
}
