using Npgsql;

namespace Slipway.Databases;

/// <summary>Puts a fully prepared database in place of a live one, atomically for clients:
///
///   live: ALLOW_CONNECTIONS false ─► its sessions ended ─► BEGIN; live → old; replacement → live; COMMIT ─► drop old
///
/// New connections are refused only for the moment between the two steps; apps reconnect (with the same
/// URL) to the replacement. Nothing happens to the live database until the replacement is complete. The old
/// one is dropped in the background (DROP DATABASE waits for a checkpoint, which writes out everything the
/// copy just loaded); one left by a crash is dropped when the cluster next starts (<see cref="Scratch"/>). Or it is
/// kept, closed to connections, under a name the caller chose (<see cref="SwapKeepingAsync"/>).</summary>
internal static class DatabaseSwitch
{
    public static Task SwapAsync(PostgresTarget target, string live, string replacement, string role, CancellationToken token) =>
        SwapCoreAsync(target, live, replacement, role, null, token);

    /// <summary>As <see cref="SwapAsync"/>, but the live database is kept as <paramref name="retired"/> (closed to connections;
    /// named by <see cref="Retired"/>, which the start-up sweep leaves alone) for the caller to drop or keep.</summary>
    public static Task SwapKeepingAsync(PostgresTarget target, string live, string replacement, string role, string retired, CancellationToken token) =>
        SwapCoreAsync(target, live, replacement, role, retired, token);

    private static async Task SwapCoreAsync(PostgresTarget target, string live, string replacement, string role, string? retired, CancellationToken token)
    {
        var old = retired ?? Scratch("old");
        await using var admin = await target.OpenAsync(null, token);
        await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(replacement)} owner to {Sql.Ident(role)}", token);
        await DatabaseProvisioner.Exec(admin, $"revoke all on database {Sql.Ident(replacement)} from public; grant all on database {Sql.Ident(replacement)} to {Sql.Ident(role)}", token);
        var exists = await DatabaseProvisioner.Scalar(admin, $"select count(*) from pg_database where datname = {Sql.Literal(live)}", token) > 0;
        if (exists)
        {
            await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(live)} with allow_connections false", token);
        }
        try
        {
            await DatabaseProvisioner.Exec(admin, $"""
                select pg_terminate_backend(pid) from pg_stat_activity
                where datname in ({Sql.Literal(live)}, {Sql.Literal(replacement)}) and pid <> pg_backend_pid()
                """, token);
            NpgsqlConnection.ClearAllPools();
            await using (var tx = await admin.BeginTransactionAsync(token))
            {
                if (exists)
                {
                    await Run(admin, tx, $"alter database {Sql.Ident(live)} rename to {Sql.Ident(old)}", token);
                }
                await Run(admin, tx, $"alter database {Sql.Ident(replacement)} rename to {Sql.Ident(live)}", token);
                await tx.CommitAsync(token);
            }
        }
        catch
        {
            if (exists)
            {
                await ReopenAsync(target, live);
            }
            throw;
        }
        if (exists && retired is null)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await using var cleanup = await target.OpenAsync(null, CancellationToken.None);
                    await DatabaseProvisioner.Exec(cleanup, $"drop database if exists {Sql.Ident(old)} with (force)", CancellationToken.None);
                }
                catch (NpgsqlException)
                {
                    // Dropped at the cluster's next start.
                }
            }, CancellationToken.None);
        }
    }

    /// <summary>An app's role may log in again after <see cref="LiveReplacement"/> closed it.</summary>
    public static Task AllowLoginAsync(PostgresTarget target, string role) => AdministerAsync(target, $"alter role {Sql.Ident(role)} login");

    /// <summary>After a failed switch the live database takes connections again.</summary>
    private static Task ReopenAsync(PostgresTarget target, string live) =>
        AdministerAsync(target, $"alter database {Sql.Ident(live)} with allow_connections true");

    /// <summary>A statement that must happen on a new connection, whatever stopped the operation: the operation's own
    /// connection may be what failed (the server was killed and is being restarted), so it is retried for a minute.</summary>
    private static async Task AdministerAsync(PostgresTarget target, string sql)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var admin = await target.OpenAsync(null, CancellationToken.None);
                await DatabaseProvisioner.Exec(admin, sql, CancellationToken.None);
                return;
            }
            catch (Exception e) when ((e is NpgsqlException or TimeoutException) && attempt < 60)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    public const string ScratchPrefix = "slipway_tmp_";

    /// <summary>A live database a replacement took the place of, kept until its safety backup verified (LiveReplacement): never
    /// dropped or opened by the start-up sweep, which cannot know whether it holds the only copy of its data.</summary>
    public const string RetiredPrefix = "slipway_retired_";

    public static string Retired() => RetiredPrefix + Secrets.Password()[..10].ToLowerInvariant();

    /// <summary>A name for a database Slipway builds or retires: never an app's, dropped if found at start-up.</summary>
    public static string Scratch(string purpose) => ScratchPrefix + purpose + "_" + Secrets.Password()[..10].ToLowerInvariant();

    /// <summary>At the cluster's start: scratch databases (verification, restore, branch, retired) a crash left
    /// are dropped, and a live database a crash caught between the switch's two steps (closed to connections,
    /// not yet renamed) is opened again: the switch never happened, it is still the live one.</summary>
    public static async Task SweepAsync(PostgresTarget target, CancellationToken token)
    {
        await using var admin = await target.OpenAsync(null, token);
        var closed = $"select datname from pg_database where not datallowconn and datname <> 'template0' and datname not like '{RetiredPrefix.Replace("_", "\\_")}%'";
        foreach (var name in await NamesAsync(admin, closed, token))
        {
            await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(name)} with allow_connections true", token);
        }
        // An app's role a kill caught closed for an in-place replacement's final backup logs in again (LiveReplacement does
        // the same on any server, from its journal; this also covers a kill before the journal existed).
        foreach (var role in await NamesAsync(admin, "select rolname from pg_roles where not rolcanlogin and rolname like 'app\\_%'", token))
        {
            await DatabaseProvisioner.Exec(admin, $"alter role {Sql.Ident(role)} login", token);
        }
        var scratch = $"select datname from pg_database where datname like 'slipway\\_tmp\\_%' or datname like '{BackupVerifier.ScratchPrefix.Replace("_", "\\_")}%'";
        foreach (var name in await NamesAsync(admin, scratch, token))
        {
            await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(name)} with (force)", token);
        }
    }

    /// <summary>The first column of every row <paramref name="sql"/> answers, read whole before anything is changed.</summary>
    private static async Task<List<string>> NamesAsync(NpgsqlConnection admin, string sql, CancellationToken token)
    {
        var names = new List<string>();
        await using var list = new NpgsqlCommand(sql, admin);
        await using var reader = await list.ExecuteReaderAsync(token);
        while (await reader.ReadAsync(token))
        {
            names.Add(reader.GetString(0));
        }
        return names;
    }

    /// <summary>One statement inside <paramref name="tx"/>.</summary>
    public static async Task Run(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(token);
    }
}
