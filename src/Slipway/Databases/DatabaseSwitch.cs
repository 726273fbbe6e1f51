using Npgsql;

namespace Slipway.Databases;

/// <summary>Puts a fully prepared database in place of a live one, atomically for clients:
///
///   live: ALLOW_CONNECTIONS false ─► its sessions ended ─► BEGIN; live → old; replacement → live; COMMIT ─► drop old
///
/// New connections are refused only for the moment between the two steps; apps reconnect (with the same
/// URL) to the replacement. Nothing happens to the live database until the replacement is complete.</summary>
internal static class DatabaseSwitch
{
    public static async Task SwapAsync(PostgresTarget target, string live, string replacement, string role, CancellationToken token)
    {
        var old = (live.Length > 50 ? live[..50] : live) + "_old_" + Secrets.Password()[..6].ToLowerInvariant();
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
                await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(live)} with allow_connections true", CancellationToken.None);
            }
            throw;
        }
        if (exists)
        {
            await DatabaseProvisioner.Exec(admin, $"drop database {Sql.Ident(old)} with (force)", CancellationToken.None);
        }
    }

    private static async Task Run(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(token);
    }
}
