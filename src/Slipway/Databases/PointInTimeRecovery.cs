using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Slipway.Databases;

/// <summary>Point-in-time recovery for the managed cluster. The cluster archives every WAL segment
/// (archive_command, archive_timeout 60 s: at most about a minute of data outside the archive); this service
/// takes a base backup when there is none or the newest is older than BaseBackupInterval, and keeps base
/// backups and WAL for PitrWindow.
///
/// Recovering a moment never touches the live cluster's data:
///
///   newest base backup finished before AT ─► extracted into a temporary cluster (its own socket, no TCP,
///   archiving off) ─► replays archived WAL up to AT, promotes ─► pg_dump | pg_restore of the one database
///   into a new database of the live cluster ─► temporary cluster stopped and deleted
/// </summary>
internal sealed partial class PointInTimeRecovery(
    PostgresCluster cluster, DatabaseStore databases, Config.Keyring keyring, DatabasesOptions options, Runtime.IProcessLauncher launcher, WalArchiveWatch archive,
    IEnumerable<IArchiveHold> holds, State.Store store, TimeProvider clock, ILogger<PointInTimeRecovery> logger)
    : BackgroundService
{
    private readonly SemaphoreSlim _baseBackups = new(1, 1);

    /// <summary>The server name of another machine's cluster recovered here (restore-platform).</summary>
    private const string Recovered = "recovered";

    public override void Dispose()
    {
        base.Dispose();
        _baseBackups.Dispose();
    }

    private string BaseDir => Path.Combine(cluster.Root, "base");

    /// <summary>Finished base backups, newest first: (directory, when it finished).</summary>
    public IReadOnlyList<(string Dir, DateTime Finished)> BaseBackups() => !Directory.Exists(BaseDir) ? [] :
        Directory.GetDirectories(BaseDir)
            .Where(d => File.Exists(Path.Combine(d, "finished")))
            .Select(d => (d, DateTime.Parse(File.ReadAllText(Path.Combine(d, "finished")).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)))
            .OrderByDescending(b => b.Item2).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RecoveryLeftovers.SweepAsync(cluster, databases, clock, stoppingToken);
        }
        catch (Exception e) when (e is UserException or NpgsqlException or IOException)
        {
            LogSweepFailed(logger, e.Message);
        }
        using var timer = new PeriodicTimer(options.BackupTick, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (cluster.Pid is null || !cluster.IsInitialized)
                {
                    continue;
                }
                try
                {
                    await archive.CheckAsync(await cluster.EnsureRunningAsync(stoppingToken), Path.Combine(cluster.Root, "log"), stoppingToken);
                }
                catch (Exception e) when (e is UserException or NpgsqlException or TimeoutException)
                {
                    LogArchiverUnread(logger, e.Message);
                }
                if (RestoreMark.IsPending(options.DataDir))
                {
                    continue; // the databases are being restored: a base backup waits for the whole of them
                }
                var newest = BaseBackups().FirstOrDefault();
                if (newest.Dir is null || clock.GetUtcNow().UtcDateTime - newest.Finished > options.BaseBackupInterval)
                {
                    try
                    {
                        await TakeBaseBackupAsync(stoppingToken);
                        Prune();
                    }
                    catch (Exception e) when (e is UserException or NpgsqlException or IOException)
                    {
                        LogBaseBackupFailed(logger, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public async Task TakeBaseBackupAsync(CancellationToken token)
    {
        await _baseBackups.WaitAsync(token);
        try
        {
            var target = await cluster.EnsureRunningAsync(token);
            var dir = Path.Combine(BaseDir, clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture));
            Directory.CreateDirectory(BaseDir);
            cluster.User?.Own(BaseDir);
            // Run as the cluster's user, so the files are its own for a recovery to use.
            var result = await PgTool.RunAsync(PostgresBinaries.Require().Path("pg_basebackup"),
                ["-D", dir, "--format=tar", "--gzip", "--wal-method=fetch", "--checkpoint=fast", "--no-password"], target.ClientEnv(), token, cluster.User);
            if (!result.Ok)
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
                throw new UserException(result.Describe("pg_basebackup"));
            }
            // Renamed into place: a reader (the shipper, retention) never sees it there but empty.
            await File.WriteAllTextAsync(Path.Combine(dir, "finished.tmp"), clock.GetUtcNow().UtcDateTime.ToString("O", CultureInfo.InvariantCulture), token);
            File.Move(Path.Combine(dir, "finished.tmp"), Path.Combine(dir, "finished"));
            LogBaseBackup(logger, dir);
        }
        finally
        {
            _baseBackups.Release();
        }
    }

    /// <summary>Keeps every base backup inside the window plus the newest one before it (a recovery to the
    /// window's start begins there), and the WAL from that one on; and what an <see cref="IArchiveHold"/> has not copied off
    /// the machine yet, for up to <see cref="IArchiveHold.MaxHold"/> more.</summary>
    private void Prune()
    {
        var all = BaseBackups();
        var now = clock.GetUtcNow().UtcDateTime;
        var cutoff = now - options.PitrWindow;
        var keep = all.TakeWhile(b => b.Finished >= cutoff).Concat(all.SkipWhile(b => b.Finished >= cutoff).Take(1)).ToList();
        var oldest = keep.LastOrDefault();
        if (oldest.Dir is null)
        {
            return;
        }
        // WAL segments written before the oldest kept base backup started are not needed by any recovery.
        var started = DateTime.ParseExact(Path.GetFileName(oldest.Dir), "yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        var doomed = all.Except(keep).Select(b => (Path: b.Dir, At: b.Finished))
            .Concat(Directory.GetFiles(cluster.ArchiveDir).Select(f => (Path: f, At: File.GetLastWriteTimeUtc(f))).Where(f => f.At < started.AddMinutes(-5)))
            .ToList();
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hold in holds)
        {
            held.UnionWith(hold.Unshipped(doomed.Select(d => d.Path).ToList()));
        }
        var unshipped = 0;
        foreach (var (path, at) in doomed)
        {
            if (held.Contains(path))
            {
                if (now - at < options.PitrWindow + IArchiveHold.MaxHold)
                {
                    continue;
                }
                unshipped++;
            }
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        if (unshipped > 0)
        {
            store.AddEvent(null, null, "database.archive-unshipped",
                $"{unshipped} WAL segment(s) or base backup(s) were deleted without ever reaching the off-site store (it failed for over {IArchiveHold.MaxHold.TotalDays:0} days past the recovery window): point-in-time recovery from the store has a gap there.");
        }
    }

    /// <summary>Recovers <paramref name="name"/> of environment <paramref name="key"/> as it was at
    /// <paramref name="at"/> into a new, detached database <paramref name="toNew"/>.</summary>
    public async Task<long> RecoverAsync(string key, string name, DateTime at, string toNew, OperationProgress progress, CancellationToken token)
    {
        var started = Stopwatch.StartNew();
        var db = databases.Find(key, name) ?? throw new UserException($"No database {name} in this environment. 'slipway db ls' lists them.", 404);
        if (db.Type != DatabaseRecord.Postgres || db.Server != DatabaseRecord.Managed)
        {
            throw new UserException("Point-in-time recovery works for postgres databases of Slipway's managed cluster; restore a backup instead ('slipway db backups').");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (at > now)
        {
            throw new UserException($"--at {at:O} is in the future.");
        }
        var live = await cluster.EnsureRunningAsync(token);
        await DatabaseRestore.EnsureNewNameAsync(databases, live, toNew, token);
        var bases = BaseBackups();
        var from = bases.FirstOrDefault(b => b.Finished < at);
        if (from.Dir is null)
        {
            throw new UserException(bases.Count == 0
                ? "No base backup exists yet (the first is taken within seconds of the cluster starting); try again shortly."
                : $"--at {at:O} is before the oldest recoverable moment ({bases[^1].Finished:O}); restore a logical backup instead ('slipway db backups').");
        }
        await progress.StepAsync($"starting from the base backup finished {from.Finished:O}; archiving the WAL written since");
        // Everything up to now reaches the archive: a transaction that commits now (after AT, so recovery stops
        // at AT even on a quiet database), then a switch to a new WAL segment, archived before we go on.
        await using (var admin = await live.OpenAsync(null, token))
        {
            await DatabaseProvisioner.Exec(admin, "create temporary table slipway_pitr_mark(x int); insert into slipway_pitr_mark values (1)", token);
            await using var command = new NpgsqlCommand("select pg_walfile_name(pg_switch_wal())", admin);
            var segment = (string)(await command.ExecuteScalarAsync(token))!;
            var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(60);
            while (!File.Exists(Path.Combine(cluster.ArchiveDir, segment + ".gz")))
            {
                if (clock.GetUtcNow() > deadline)
                {
                    throw new UserException($"WAL segment {segment} was not archived within 60 s; check the cluster's log in {cluster.Root}/log.");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100), clock, token);
            }
        }
        var work = Path.Combine(cluster.Root, RecoveryLeftovers.WorkPrefix + Secrets.Password()[..8].ToLowerInvariant());
        Runtime.ILaunchedProcess? temp = null;
        try
        {
            // Names what this recovery creates, for the clean-up after a platform kill (RecoveryLeftovers).
            Directory.CreateDirectory(work);
            await File.WriteAllTextAsync(Path.Combine(work, RecoveryLeftovers.TargetFile), toNew, token);
            await progress.StepAsync($"replaying the WAL up to {at:O} in a temporary cluster (the live one is untouched)");
            temp = await StartRecoveryClusterAsync(from.Dir, work, at, cluster.ArchiveDir, foreign: false, token);
            await progress.StepAsync($"recovered; copying {db.DbName} as it was then into the new database {toNew} (pg_dump | pg_restore)");
            var source = new PostgresTarget(DatabaseRecord.Managed, work, 5432, PostgresCluster.Superuser, live.AdminPassword);
            var password = Secrets.Password();
            var bin = PostgresBinaries.Require();
            PgTool.Result dump, restore;
            try
            {
                await DatabaseProvisioner.CreateRoleAndDatabaseAsync(live, toNew, password, token);
                (dump, restore) = await PgTool.PipeAsync(
                    bin.Path("pg_dump"), pipe => ["--format=custom", "--compress=0", "--no-sync", "--file=" + pipe, "--dbname=" + db.DbName], source.ClientEnv(),
                    bin.Path("pg_restore"), ["--no-owner", "--no-privileges", "--exit-on-error", "--role=" + toNew, "-d", toNew], live.ClientEnv(),
                    Path.Combine(options.DataDir, "backups", "tmp"), token);
            }
            catch
            {
                await DatabaseRestore.DropQuietlyAsync(live, toNew, toNew);
                throw;
            }
            if (!dump.Ok || !restore.Ok)
            {
                await DatabaseRestore.DropQuietlyAsync(live, toNew, toNew);
                throw new UserException("The recovery failed and nothing was created: " + string.Join("; ", new[] { dump.Ok ? null : dump.Describe("pg_dump"), restore.Ok ? null : restore.Describe("pg_restore") }.OfType<string>()));
            }
            databases.Insert(new DatabaseRecord(State.Ids.New("db"), "", db.BaseApp, "", toNew, DatabaseRecord.Postgres, DatabaseRecord.Managed, toNew, toNew,
                keyring.Encrypt(password), db.VarName, db.Settings, databases.Now(), null));
            return started.ElapsedMilliseconds;
        }
        finally
        {
            if (temp is not null)
            {
                if (!temp.Exited.IsCompleted)
                {
                    Runtime.ProcessGroups.SignalProcess(temp.Pid, 3); // SIGQUIT: immediate shutdown, the copy is thrown away
                    await Task.WhenAny(temp.Exited, Task.Delay(TimeSpan.FromSeconds(30), clock, CancellationToken.None));
                }
                await temp.DisposeAsync();
            }
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>restore-platform: another machine's cluster, from a base backup and its WAL fetched from the store, replayed in
    /// a temporary cluster to <paramref name="at"/> (null: the end of the WAL), then each of <paramref name="copies"/>
    /// (database there → database and role here, made with the password given) copied into the live cluster. Each copy
    /// stands alone: one that fails is dropped and named in the result, the others go on. The result also says where
    /// replay stopped, so a caller can tell the end of the WAL from a gap in it.</summary>
    public async Task<ElsewhereRecovery> RecoverFromElsewhereAsync(string baseBackup, string archiveDir, DateTime? at,
        IReadOnlyList<(string Database, string Password)> copies, Action<string> progress, CancellationToken token)
    {
        var live = await cluster.EnsureRunningAsync(token);
        var work = Path.Combine(cluster.Root, RecoveryLeftovers.WorkPrefix + Secrets.Password()[..8].ToLowerInvariant());
        Runtime.ILaunchedProcess? temp = null;
        try
        {
            Directory.CreateDirectory(work);
            cluster.User?.Own(archiveDir);
            foreach (var segment in Directory.GetFiles(archiveDir))
            {
                cluster.User?.Own(segment);
            }
            temp = await StartRecoveryClusterAsync(baseBackup, work, at, archiveDir, foreign: true, token);
            var source = new PostgresTarget(Recovered, work, 5432, PostgresCluster.Superuser, live.AdminPassword);
            string? replayed;
            DateTimeOffset? lastCommit;
            await using (var connection = await source.OpenAsync(null, token))
            await using (var reach = new NpgsqlCommand("select pg_walfile_name(pg_last_wal_replay_lsn()), pg_last_xact_replay_timestamp()", connection))
            await using (var reader = await reach.ExecuteReaderAsync(token))
            {
                await reader.ReadAsync(token);
                // The promoted cluster names files on its new timeline: only the segment's number (the last 16 digits) compares.
                replayed = reader.IsDBNull(0) ? null : reader.GetString(0)[^16..];
                lastCommit = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
            }
            var bin = PostgresBinaries.Require();
            var copied = new List<string>();
            var failed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (database, password) in copies)
            {
                progress($"copying {database} as the store's WAL left it (pg_dump | pg_restore)");
                try
                {
                    await DatabaseRestore.DropQuietlyAsync(live, database, null);
                    await DatabaseProvisioner.CreateRoleAndDatabaseAsync(live, database, password, token);
                    var (dump, restore) = await PgTool.PipeAsync(
                        bin.Path("pg_dump"), pipe => ["--format=custom", "--compress=0", "--no-sync", "--file=" + pipe, "--dbname=" + database], source.ClientEnv(),
                        bin.Path("pg_restore"), ["--no-owner", "--no-privileges", "--exit-on-error", "--role=" + database, "-d", database], live.ClientEnv(),
                        Path.Combine(options.DataDir, "backups", "tmp"), token);
                    if (dump.Ok && restore.Ok)
                    {
                        copied.Add(database);
                        continue;
                    }
                    await DatabaseRestore.DropQuietlyAsync(live, database, null);
                    failed[database] = string.Join("; ", new[] { dump.Ok ? null : dump.Describe("pg_dump"), restore.Ok ? null : restore.Describe("pg_restore") }.OfType<string>());
                }
                catch (Exception e) when (e is UserException or NpgsqlException or IOException)
                {
                    failed[database] = e.Message;
                }
            }
            return new ElsewhereRecovery(replayed, lastCommit, copied, failed);
        }
        finally
        {
            if (temp is not null)
            {
                if (!temp.Exited.IsCompleted)
                {
                    Runtime.ProcessGroups.SignalProcess(temp.Pid, 3);
                    await Task.WhenAny(temp.Exited, Task.Delay(TimeSpan.FromSeconds(30), clock, CancellationToken.None));
                }
                await temp.DisposeAsync();
            }
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <param name="archiveDir">Where restore_command finds the WAL: this cluster's archive, or one fetched from a store.</param>
    /// <param name="at">Where replay stops; null: at the end of the archive.</param>
    /// <param name="foreign">A cluster of another machine (restore-platform): its superuser's password is not known here, so
    /// its socket (listen_addresses empty, a directory only the cluster user enters) trusts local connections.</param>
    private async Task<Runtime.ILaunchedProcess> StartRecoveryClusterAsync(string baseBackup, string work, DateTime? at, string archiveDir, bool foreign, CancellationToken token)
    {
        var data = Path.Combine(work, "data");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        cluster.User?.Own(work);
        var untar = await PgTool.RunAsync("tar", ["-xzf", Path.Combine(baseBackup, "base.tar.gz"), "-C", data], null, token, cluster.User);
        if (!untar.Ok)
        {
            throw new UserException("The base backup could not be extracted: " + untar.Describe("tar"));
        }
        await File.WriteAllLinesAsync(Path.Combine(data, "slipway.conf"),
        [
            "# A temporary recovery cluster: no TCP, its own socket, no archiving.",
            "listen_addresses = ''",
            "port = 5432",
            $"unix_socket_directories = {PgConf.SocketDirectory(work)}",
            "archive_mode = off",
            "logging_collector = off",
            "shared_buffers = '128MB'",
            $"restore_command = {PgConf.Literal(PgConf.RestoreCommand(archiveDir))}",
            .. (at is { } target
                ? (string[])[$"recovery_target_time = '{target.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00'", "recovery_target_action = 'promote'"]
                : []),
        ], token);
        if (foreign)
        {
            await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"), "local all all trust\n", token);
        }
        await File.WriteAllTextAsync(Path.Combine(data, "recovery.signal"), "", token);
        cluster.User?.Own(work);
        var output = new List<string>();
        // Temporary: never adopted; after a platform kill RecoveryLeftovers shuts it down (fast shutdown) with its work directory.
        var spec = PgTool.Server(PostgresBinaries.Require().Path("postgres"), ["-D", data], work, cluster.User, group: null) with
        {
            Adoptable = false,
            SweptWhenOrphaned = false,
        };
        var process = launcher.Start(spec, line =>
        {
            if (line.Stream == Runtime.OutputStream.Stderr)
            {
                lock (output)
                {
                    output.Add(line.Text);
                }
            }
        });
        try
        {
            // A foreign cluster's socket trusts (its password is not known here): not the managed cluster's SCRAM-only rule.
            var source = new PostgresTarget(foreign ? Recovered : DatabaseRecord.Managed, work, 5432, PostgresCluster.Superuser, (await cluster.EnsureRunningAsync(token)).AdminPassword);
            var deadline = clock.GetUtcNow() + TimeSpan.FromMinutes(30);
            while (true)
            {
                if (process.Exited.IsCompleted)
                {
                    lock (output)
                    {
                        throw new UserException("The recovery cluster stopped: " + string.Join(" | ", output.TakeLast(5)));
                    }
                }
                try
                {
                    await using var connection = await source.OpenAsync(null, token);
                    await using var recovering = new NpgsqlCommand("select pg_is_in_recovery()", connection);
                    if (await recovering.ExecuteScalarAsync(token) is false)
                    {
                        return process;
                    }
                }
                catch (Exception e) when ((e is NpgsqlException or TimeoutException) && clock.GetUtcNow() < deadline)
                {
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200), clock, token);
            }
        }
        catch
        {
            // Not recovered (stopped, timed out, cancelled): the copy is thrown away here, as the caller never got it.
            await process.DisposeAsync();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "pg_stat_archiver could not be read: {Reason}")]
    private static partial void LogArchiverUnread(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Base backup taken in {Dir}")]
    private static partial void LogBaseBackup(ILogger logger, string dir);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cleaning up after an interrupted point-in-time recovery failed: {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Base backup failed: {Reason}")]
    private static partial void LogBaseBackupFailed(ILogger logger, string reason);
}

/// <summary>What <see cref="PointInTimeRecovery.RecoverFromElsewhereAsync"/> did.</summary>
/// <param name="ReplayedSegment">The number (16 hex digits, without the timeline) of the WAL segment replay stopped in.</param>
/// <param name="LastCommit">The time of the last transaction replayed (null: none was).</param>
/// <param name="Copied">The databases copied into this machine's cluster.</param>
/// <param name="Failed">Those that were not, each with why (dropped again here).</param>
internal sealed record ElsewhereRecovery(string? ReplayedSegment, DateTimeOffset? LastCommit, IReadOnlyList<string> Copied, IReadOnlyDictionary<string, string> Failed);
