using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Slipway.Databases;

/// <summary>How a prepared database replaces an environment's live one (restore in place, attach, branch into an
/// existing production database) without losing a write, with its app shut out only for the final dump:
///
///   journal written (<see cref="ReplacementJournal"/>)
///   ─► the app shut out: its role may not log in; its sessions ended, and waited for until none is left
///   ─► final safety dump (pg_dump as the administrator: every write acknowledged until now) ─► checksum ─► stored on
///      this machine (flushed, renamed into place; no upload)
///   ─► atomic switch (DatabaseSwitch): the replacement takes the live name; the live one is kept, closed, as slipway_retired_*
///   ─► the role may log in again                                       the app's outage ends here: close + dump + switch
///   ─► the safety backup verified (restored whole into scratch, row counts compared) ─► the retired database dropped
///                                                                        └ fails ─► kept as a detached database, an event
///   ─► journal removed; the shipper copies the verified safety backup off the machine at its next round
///
/// Before the switch: the replacement is loaded whole (the caller's part); no session of the role is left, since one that
/// commits after the dump's snapshot would write into neither database; the safety dump is a complete, checksummed file on
/// disk. Verifying it means restoring it whole, which takes as long as the dump again, so it runs once the app is back;
/// until it passes, the old database itself is the copy to go back to, and only then is it dropped. When it fails (or
/// cannot run), the old database becomes a detached database of the app with a role of its own (`db ls`, `db psql --name`,
/// `db attach` puts it back) and a database.safety-unverified event names it.
///
/// A platform killed anywhere in between leaves the journal. At the next start (and every 30 s while one is left, e.g. its
/// server cannot be reached) it is settled under the database's lock: the role logs in again on whichever server holds it;
/// a switch that had not happened leaves the live database as it was (opened again, a scratch replacement dropped); after
/// the switch the retired database is dropped or kept as above.</summary>
internal sealed partial class LiveReplacement(
    DatabaseBackup backups, DatabaseStore databases, DatabaseProvisioner provisioner, DatabaseLocks locks, Config.Keyring keyring, State.Store store,
    DatabasesOptions options, IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<LiveReplacement> logger)
    : BackgroundService
{
    /// <summary>How long the app's sessions have to end once told to.</summary>
    private static readonly TimeSpan SessionsEnd = TimeSpan.FromSeconds(30);

    /// <summary>How often journals left over are looked at.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(30);

    /// <summary>Unreadable journals already logged (once each, not every tick).</summary>
    private readonly HashSet<string> _unreadable = new(StringComparer.Ordinal);

    /// <summary>Replaces <paramref name="live"/> (whose lock the caller holds) by <paramref name="replacement"/>; returns the
    /// safety backup, verified, or failed when the old database was kept instead.</summary>
    public async Task<BackupRecord> ReplaceAsync(DatabaseRecord live, PostgresTarget target, string replacement, OperationProgress progress, CancellationToken token)
    {
        var journal = ReplacementJournal.Begin(live, replacement);
        journal.Write(options.DataDir);
        BackupRecord safety;
        try
        {
            try
            {
                await progress.StepAsync($"closing {live.DbName} to its app for the final safety backup (its sessions end; it reconnects after the switch)");
                await ShutOutAsync(target, live.RoleName, token);
                safety = await backups.DumpLockedAsync(live, BackupKind.Safety, hereOnly: true, progress.Prefixed("safety backup: "), token);
                if (safety.Status != BackupStatus.Verifying)
                {
                    throw new UserException($"The safety backup of {live.DbName} failed ({safety.Error}); nothing was changed and the app can connect again.");
                }
                journal = journal with { Retired = DatabaseSwitch.Retired(), SafetyBackup = safety.Id };
                journal.Write(options.DataDir);
                await progress.StepAsync($"switching {live.DbName} to the replacement (apps reconnect with the same URL)");
                await DatabaseSwitch.SwapKeepingAsync(target, live.DbName, replacement, live.RoleName, journal.Retired, token);
            }
            finally
            {
                await DatabaseSwitch.AllowLoginAsync(target, live.RoleName);
            }
        }
        catch
        {
            // A switch cut short undoes itself; one whose commit went through but whose answer was lost is found here.
            await SettleQuietlyAsync(journal);
            throw;
        }
        // Once the switch is done the rest goes on whether or not the client still listens: neither its token nor a step
        // it can no longer be told stops it half-way.
        var told = new OperationProgress(async step =>
        {
            try
            {
                await progress.StepAsync(step);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        });
        await told.StepAsync($"{live.DbName} is the replacement now and its app may connect again; verifying the safety backup before the data it replaced is dropped");
        try
        {
            return (await SettleAsync(journal, told, lifetime.ApplicationStopping)).Safety ?? safety;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or UserException)
        {
            LogSettleFailed(logger, journal.Live, journal.Server, e.Message);
            await told.StepAsync($"the data it replaced stays as database {journal.Retired} on server {journal.Server} until it can be settled ({e.Message}); tried again every {Tick.TotalSeconds:0} s");
            return databases.FindBackup(safety.Id) ?? safety;
        }
    }

    /// <summary>The role may not log in, and every session it has is ended and gone. pg_terminate_backend only signals: a
    /// backend in the middle of COMMIT finishes it first, and a connection that passed its login check the moment NOLOGIN
    /// committed shows in pg_stat_activity a moment later; so sessions are ended again until two looks 100 ms apart find none.
    /// Bounded: sessions that will not end fail the replacement before anything changed.</summary>
    private async Task ShutOutAsync(PostgresTarget target, string role, CancellationToken token)
    {
        await using var admin = await target.OpenAsync(null, token);
        await DatabaseProvisioner.Exec(admin, $"alter role {Sql.Ident(role)} nologin", token);
        var deadline = clock.GetUtcNow() + SessionsEnd;
        for (var quiet = 0; ;)
        {
            var left = await DatabaseProvisioner.Scalar(admin,
                $"select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = {Sql.Literal(role)} and pid <> pg_backend_pid()", token);
            quiet = left == 0 ? quiet + 1 : 0;
            if (quiet == 2)
            {
                return;
            }
            if (clock.GetUtcNow() > deadline)
            {
                throw new UserException($"{left} session(s) of {role} did not end within {SessionsEnd.TotalSeconds:0} s of being terminated; " +
                    "nothing was changed and the app can connect again. Look at what they run (pg_stat_activity) and try again.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), clock, token);
        }
    }

    /// <summary>What settling a journal did.</summary>
    private sealed record Settled(BackupRecord? Safety, string What);

    /// <summary>Finishes what <paramref name="journal"/> has under way, from any point (each step can be done again), then
    /// removes it.</summary>
    private async Task<Settled> SettleAsync(ReplacementJournal journal, OperationProgress progress, CancellationToken token)
    {
        var target = await provisioner.TargetAsync(journal.Server, token);
        var safety = journal.SafetyBackup is { } id ? databases.FindBackup(id) : null;
        string? retired;
        await using (var admin = await target.OpenAsync(null, token))
        {
            if (await CountAsync(admin, "pg_roles", "rolname", journal.Role, token) > 0)
            {
                await DatabaseProvisioner.Exec(admin, $"alter role {Sql.Ident(journal.Role)} login", token);
            }
            if (journal.Kept is { } kept && await CountAsync(admin, "pg_database", "datname", kept, token) > 0)
            {
                // Stopped while keeping it: the rest of the keeping.
                await KeepAsync(target, journal, token);
                journal.Delete(options.DataDir);
                return new Settled(safety, $"the data it replaced is kept as detached database {kept}");
            }
            retired = journal.Retired is { } name && await CountAsync(admin, "pg_database", "datname", name, token) > 0 ? name : null;
            if (retired is null)
            {
                // The switch did not happen (or it went through and was settled before): the live database is the one it was.
                if (await CountAsync(admin, "pg_database", "datname", journal.Live, token) > 0)
                {
                    await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(journal.Live)} with allow_connections true", token);
                }
                if (journal.Replacement.StartsWith(DatabaseSwitch.ScratchPrefix, StringComparison.Ordinal))
                {
                    await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(journal.Replacement)} with (force)", token);
                }
                journal.Delete(options.DataDir);
                return new Settled(safety, $"the switch had not happened: {journal.Live} is as it was");
            }
        }
        if (safety is { Location: not null } && safety.Status != BackupStatus.Verified)
        {
            safety = await backups.VerifyAsync(safety, journal.Server, progress, token);
        }
        if (safety?.Status == BackupStatus.Verified)
        {
            await using var admin = await target.OpenAsync(null, token);
            await DatabaseProvisioner.Exec(admin, $"drop database if exists {Sql.Ident(retired)} with (force)", token);
            journal.Delete(options.DataDir);
            await progress.StepAsync($"safety backup {safety.Id} verified; the database it holds is dropped");
            return new Settled(safety, $"the data it replaced is in safety backup {safety.Id} (verified)");
        }
        journal = journal with { Kept = KeptName(journal.Live) };
        journal.Write(options.DataDir);
        await KeepAsync(target, journal, token);
        journal.Delete(options.DataDir);
        var why = safety is null ? "no safety backup was recorded" : $"safety backup {safety.Id} did not verify: {safety.Error}";
        store.AddEvent(journal.App.Length > 0 ? journal.App : null, null, "database.safety-unverified",
            $"{why}. So the data {journal.Live} held before it was replaced was not dropped: it is kept as detached database {journal.Kept} " +
            $"('slipway db ls --app {journal.BaseApp}' lists it; 'slipway db psql --app {journal.BaseApp} --name {journal.Kept}' reads it; " +
            $"'slipway db attach {journal.Kept} {journal.Flags}' puts it back).");
        await progress.StepAsync($"{why}; the data it replaced is kept as detached database {journal.Kept} (slipway db ls)");
        return new Settled(safety, $"the data it replaced is kept as detached database {journal.Kept} ({why})");
    }

    /// <summary>The retired database becomes a detached database of the app (<see cref="ReplacementJournal.Kept"/>), with a role
    /// of its own that owns it and its objects, as `db restore --to-new` makes them; every step can be done again.</summary>
    private async Task KeepAsync(PostgresTarget target, ReplacementJournal journal, CancellationToken token)
    {
        var kept = journal.Kept!;
        // Its role's password is set only while no record holds one (a stop after the record was written changes nothing).
        var password = databases.ListAll().Any(d => d.Server == journal.Server && d.DbName == kept) ? null : Secrets.Password();
        await using (var admin = await target.OpenAsync(null, token))
        {
            if (journal.Retired is { } retired && await CountAsync(admin, "pg_database", "datname", retired, token) > 0)
            {
                await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(retired)} rename to {Sql.Ident(kept)}", token);
            }
            if (password is not null)
            {
                await DatabaseProvisioner.Exec(admin, await CountAsync(admin, "pg_roles", "rolname", kept, token) > 0
                    ? $"alter role {Sql.Ident(kept)} with login password {Sql.Literal(password)}"
                    : $"create role {Sql.Ident(kept)} with login nosuperuser nocreatedb nocreaterole password {Sql.Literal(password)}", token);
            }
            // The administrator of an external server may not be superuser: it must be a member of both roles to move ownership.
            await DatabaseProvisioner.Exec(admin, $"grant {Sql.Ident(kept)} to current_user", token);
            await DatabaseProvisioner.Exec(admin, $"alter database {Sql.Ident(kept)} with allow_connections true", token);
        }
        await using (var db = await target.OpenAsync(kept, token))
        await using (var tx = await db.BeginTransactionAsync(token))
        {
            if (await ScalarAsync(db, tx, $"select count(*) from pg_roles where rolname = {Sql.Literal(journal.Role)}", token) > 0)
            {
                // REASSIGN OWNED also moves the databases the app's role owns (shared objects), its live one among them: they
                // go back in the same transaction.
                var others = new List<string>();
                await using (var list = new NpgsqlCommand(
                    $"select datname from pg_database where datdba = {Sql.Literal(journal.Role)}::regrole and datname <> {Sql.Literal(kept)}", db, tx))
                await using (var reader = await list.ExecuteReaderAsync(token))
                {
                    while (await reader.ReadAsync(token))
                    {
                        others.Add(reader.GetString(0));
                    }
                }
                await DatabaseSwitch.Run(db, tx, $"reassign owned by {Sql.Ident(journal.Role)} to {Sql.Ident(kept)}", token);
                foreach (var other in others)
                {
                    await DatabaseSwitch.Run(db, tx, $"alter database {Sql.Ident(other)} owner to {Sql.Ident(journal.Role)}", token);
                }
                await DatabaseSwitch.Run(db, tx, $"revoke all on database {Sql.Ident(kept)} from {Sql.Ident(journal.Role)}", token);
            }
            await DatabaseSwitch.Run(db, tx, $"alter database {Sql.Ident(kept)} owner to {Sql.Ident(kept)}", token);
            await DatabaseSwitch.Run(db, tx, $"revoke all on database {Sql.Ident(kept)} from public; grant all on database {Sql.Ident(kept)} to {Sql.Ident(kept)}", token);
            await tx.CommitAsync(token);
        }
        NpgsqlConnection.ClearAllPools();
        if (password is not null)
        {
            databases.Insert(new DatabaseRecord(State.Ids.New("db"), "", journal.BaseApp, "", kept, DatabaseRecord.Postgres, journal.Server, kept, kept,
                keyring.Encrypt(password), journal.VarName, new DatabaseSettings().ToJson(), databases.Now(), null));
        }
    }

    /// <summary>A valid detached name (`db restore --to-new`'s rule: at most 40 of a-z, 0-9 and _) that says what it was.</summary>
    private static string KeptName(string live) => (live.Length > 26 ? live[..26].TrimEnd('_') : live) + "_kept_" + Secrets.Password()[..6].ToLowerInvariant();

    private async Task SettleQuietlyAsync(ReplacementJournal journal)
    {
        try
        {
            await SettleAsync(journal, OperationProgress.None, lifetime.ApplicationStopping);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or UserException or OperationCanceledException)
        {
            LogSettleFailed(logger, journal.Live, journal.Server, e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, clock);
        try
        {
            do
            {
                await SettleLeftOverAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Settles each journal a stopped platform (or a settling that failed) left.</summary>
    private async Task SettleLeftOverAsync(CancellationToken token)
    {
        var unreadable = new List<string>();
        foreach (var journal in ReplacementJournal.ReadAll(options.DataDir, unreadable))
        {
            try
            {
                await SettleLeftOverAsync(journal, token);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or IOException or UserException)
            {
                LogSettleFailed(logger, journal.Live, journal.Server, e.Message);
            }
#pragma warning disable CA1031 // a bug here must not stop the platform: logged with its stack trace, the journal stays and is tried again
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogBug(logger, journal.Live, e);
            }
        }
        foreach (var path in unreadable.Where(_unreadable.Add))
        {
            LogUnreadable(logger, path);
        }
    }

    /// <summary>Under the database's lock: a replacement under way in this process holds it until it removed its own journal.</summary>
    private async Task SettleLeftOverAsync(ReplacementJournal journal, CancellationToken token)
    {
        using var held = await locks.HoldAsync(journal.DatabaseId, token);
        if (!journal.Exists(options.DataDir))
        {
            return;
        }
        if (journal.Server != DatabaseRecord.Managed && databases.FindServer(journal.Server) is null)
        {
            journal.Delete(options.DataDir);
            LogServerGone(logger, journal.Live, journal.Server);
            return;
        }
        var settled = await SettleAsync(journal, OperationProgress.None, token);
        store.AddEvent(journal.App.Length > 0 ? journal.App : null, null, "database.replace-settled",
            $"A replacement of {journal.Live} on server {journal.Server} (restore in place, attach or branch) was cut short; " +
            $"its app's role {journal.Role} may log in again, and {settled.What}.");
    }

    private static async Task<long> CountAsync(NpgsqlConnection admin, string catalog, string column, string name, CancellationToken token) =>
        await DatabaseProvisioner.Scalar(admin, $"select count(*) from {catalog} where {column} = {Sql.Literal(name)}", token);

    private static async Task<long> ScalarAsync(NpgsqlConnection db, NpgsqlTransaction tx, string sql, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, db, tx);
        return Convert.ToInt64(await command.ExecuteScalarAsync(token), System.Globalization.CultureInfo.InvariantCulture);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling the replacement of {Database} on server {Server} failed (tried again): {Reason}")]
    private static partial void LogSettleFailed(ILogger logger, string database, string server, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The replacement of {Database} was on server {Server}, which is no longer added; its journal is removed")]
    private static partial void LogServerGone(ILogger logger, string database, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The replacement journal {Path} cannot be read; it is left for an administrator")]
    private static partial void LogUnreadable(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Settling the replacement of {Database} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string database, Exception exception);
}
