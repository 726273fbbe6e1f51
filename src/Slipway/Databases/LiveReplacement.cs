namespace Slipway.Databases;

/// <summary>How a prepared database replaces an environment's live one (restore in place, attach, branch into an
/// existing database) without losing a write:
///
///   replacement loaded beside (the live one serves meanwhile) ─► the live one closed to its app: its role may not log
///   in, its sessions end ─► the final safety backup (pg_dump as the administrator: every write made until now) and its
///   verification ─► the atomic switch (DatabaseSwitch) ─► the role may log in again
///
/// Closing only for the final dump, not for the whole load, keeps the app's outage to the dump's length; refusing writes
/// for the whole load would fail every write for the load's length instead. A write acknowledged before the close is in
/// the safety backup; none can be made between the close and the switch. The role logs in again whatever happens; after
/// a platform kill in between, the cluster's start-up sweep opens it again (<see cref="DatabaseSwitch.SweepAsync"/>).</summary>
internal sealed class LiveReplacement(DatabaseBackup backups)
{
    public async Task<BackupRecord> ReplaceAsync(DatabaseRecord live, PostgresTarget target, string replacement, OperationProgress progress, CancellationToken token)
    {
        await progress.StepAsync($"closing {live.DbName} to its app for the final safety backup (its sessions end; it reconnects after the switch)");
        await CloseAsync(target, live, token);
        try
        {
            var safety = await backups.TakeLockedAsync(live, BackupKind.Safety, progress.Prefixed("safety backup: "), token);
            if (safety.Status != BackupStatus.Verified)
            {
                throw new UserException($"The safety backup of {live.DbName} failed ({safety.Error}); nothing was changed and the app can connect again.");
            }
            await progress.StepAsync($"switching {live.DbName} to the replacement (apps reconnect with the same URL)");
            await DatabaseSwitch.SwapAsync(target, live.DbName, replacement, live.RoleName, token);
            return safety;
        }
        finally
        {
            await DatabaseSwitch.AllowLoginAsync(target, live.RoleName);
        }
    }

    private static async Task CloseAsync(PostgresTarget target, DatabaseRecord live, CancellationToken token)
    {
        await using var admin = await target.OpenAsync(null, token);
        await DatabaseProvisioner.Exec(admin, $"alter role {Sql.Ident(live.RoleName)} nologin", token);
        await DatabaseProvisioner.Exec(admin,
            $"select pg_terminate_backend(pid) from pg_stat_activity where usename = {Sql.Literal(live.RoleName)} and pid <> pg_backend_pid()", token);
    }
}
