using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Slipway.Config;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>The managed PostgreSQL cluster: created on first use, started with the platform, restarted when
/// it dies (kill -9 included: PostgreSQL's crash recovery replays the WAL, so every acknowledged commit
/// survives; fsync and synchronous_commit stay on). Like an app instance it outlives the platform process: a
/// restart, an upgrade or a crash of the platform leaves the postmaster (and the apps' connections) alone, and the
/// next platform process adopts it (<see cref="ServerRecord"/>); only `slipway down` stops it.
///
///   DATABASES/postgres/ (0700, the cluster user)   DATA/postgres.json (port, encrypted superuser password)
///     data/          PGDATA: pg_hba scram-sha-256, sameuser for app roles, loopback only
///     run/           the Unix socket
///     wal-archive/   archive_command's target (point-in-time recovery)
///     log/           the server's log
///                                                  DATA/run/databases/postgres.json (pid, start time, launch key)
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification =
    "_gate lives as long as the process: the supervision loop may still take it while the container is disposed, and without AvailableWaitHandle it holds no OS handle")]
internal sealed partial class PostgresCluster(
    DatabasesOptions options, Keyring keyring, Store store, IProcessLauncher launcher, Sandbox.HostSupport host, ServerShutdown shutdown,
    TimeProvider clock, ILogger<PostgresCluster> logger)
    : IHostedService, Config.ISealedFile
{
    public const string Superuser = "slipway";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Queue<string> _serverOutput = new();
    private ILaunchedProcess? _process;
    private PostgresTarget? _target;
    private Task? _supervision;
    private volatile bool _stopping;

    private sealed record ClusterState(int Port, string PasswordEnc);

    public string Root => Path.Combine(options.EffectiveDatabasesDir, "postgres");
    public string DataDir => Path.Combine(Root, "data");
    public string ArchiveDir => Path.Combine(Root, "wal-archive");
    private string RunDir => Path.Combine(Root, "run");
    private string StatePath => Path.Combine(options.DataDir, "postgres.json");
    private string RecordPath => Path.Combine(ServerRecord.DirectoryIn(options.DataDir), "postgres.json");

    /// <summary>How long an adopted postmaster has to accept a connection before it is handled as crashed.</summary>
    private static readonly TimeSpan AdoptedAnswerBound = TimeSpan.FromSeconds(30);

    public bool IsInitialized => File.Exists(StatePath);

    /// <summary>The postmaster's pid while it runs (tests kill it).</summary>
    public int? Pid => _process is { Exited.IsCompleted: false } p ? p.Pid : null;

    /// <summary>Restarts after a crash so far (doctor, tests).</summary>
    public int Restarts { get; private set; }

    private Task _startingUp = Task.CompletedTask;

    /// <summary>Adopts the postmaster an earlier platform process left running, at once (before Recovery's start-up sweep,
    /// which spares what the launcher adopted); otherwise starts the cluster in the background: apps start (or are
    /// adopted) in parallel with it, not after it; an app that connects before it accepts retries as it would after any
    /// database restart, and every operation that needs the cluster waits for it (<see cref="EnsureRunningAsync"/>),
    /// which also checks an adopted server answers before handing it out.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (IsInitialized)
        {
            AdoptLeftRunning();
            _startingUp = Task.Run(async () =>
            {
                try
                {
                    await EnsureRunningAsync(CancellationToken.None);
                }
#pragma warning disable CA1031 // a cluster that cannot start must not stop the platform; the failure is logged and each use says it again
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogStartFailed(logger, e);
                }
            }, CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Takes over the postmaster recorded by an earlier platform process if it is still that process: the
    /// launcher's checks (pid, start time, owner mark, cgroup, output FIFOs) and postmaster.pid naming the same pid and
    /// data directory. A recorded one that fails them is replaced (an event says so).</summary>
    private void AdoptLeftRunning()
    {
        if (ServerRecord.Read(RecordPath) is not { } record)
        {
            return;
        }
        if (PostmasterPid() == record.Pid && launcher.Adopt(record.Adoption, line => Remember(line.Text)) is { } process)
        {
            _process = process;
            LogAdopted(logger, process.Pid);
            return;
        }
        LogNotAdopted(logger, record.Pid);
        store.AddEvent(null, null, "database.replaced",
            $"the managed PostgreSQL (pid {record.Pid}) ended or was not recognized while no platform process ran; a new one starts");
    }

    /// <summary>The pid postmaster.pid names when it names this cluster's data directory; null otherwise.</summary>
    private int? PostmasterPid()
    {
        try
        {
            var lines = File.ReadLines(Path.Combine(DataDir, "postmaster.pid")).Take(2).ToList();
            return lines.Count == 2 && int.TryParse(lines[0], System.Globalization.CultureInfo.InvariantCulture, out var pid) &&
                   Path.GetFullPath(lines[1]) == Path.GetFullPath(DataDir)
                ? pid
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The cluster as an administration target when it runs now; null when it does not (never starts it).</summary>
    public PostgresTarget? RunningTarget => _target is { } ready && Pid is not null ? ready : null;

    /// <summary>The cluster, created and started if needed, as an administration target.</summary>
    public async Task<PostgresTarget> EnsureRunningAsync(CancellationToken token)
    {
        if (_target is { } ready && Pid is not null)
        {
            return ready;
        }
        await _gate.WaitAsync(token);
        try
        {
            if (_target is { } again && Pid is not null)
            {
                return again;
            }
            var binaries = PostgresBinaries.Require();
            var user = ClusterUser.Resolve();
            User = user;
            var state = IsInitialized ? Load() : await InitializeAsync(binaries, user, token);
            var target = new PostgresTarget(DatabaseRecord.Managed, "127.0.0.1", state.Port, Superuser, keyring.Decrypt(state.PasswordEnc));
            if (_process is { Exited.IsCompleted: false } adopted && !await AnswersAsync(adopted, target, user, token))
            {
                // Adopted but not answering: handled as a crash (the supervisor below is not running yet).
                Restarts++;
                LogAdoptedSilent(logger, adopted.Pid, (int)AdoptedAnswerBound.TotalSeconds);
                store.AddEvent(null, null, "database.crashed",
                    $"the managed PostgreSQL (pid {adopted.Pid}) left running by the previous platform process did not answer within {(int)AdoptedAnswerBound.TotalSeconds} s; restarting it");
                await ShutDownAsync(adopted, TimeSpan.FromSeconds(5));
                _process = null;
            }
            if (_process is not { Exited.IsCompleted: false })
            {
                await StopLeftoverAsync();
                await StartServerAsync(binaries, user, target, token);
            }
            if (_target is null)
            {
                await DatabaseSwitch.SweepAsync(target, token);
            }
            _target = target;
            _supervision ??= Task.Run(() => SuperviseAsync(binaries, user, target), CancellationToken.None);
            return target;
        }
        finally
        {
            _gate.Release();
        }
    }

    private ClusterState Load() => JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(StatePath))!;

    /// <summary>Key rotation: the superuser password in postgres.json, sealed again under the new key.</summary>
    public void Reseal(Func<string, string> reseal)
    {
        if (!IsInitialized)
        {
            return;
        }
        var state = Load();
        var temp = StatePath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, state with { PasswordEnc = reseal(state.PasswordEnc) });
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, StatePath, overwrite: true);
    }

    private async Task<ClusterState> InitializeAsync(PostgresBinaries binaries, ClusterUser? user, CancellationToken token)
    {
        // A crash mid-initialization leaves a cluster without its state file: start it over.
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
        Directory.CreateDirectory(options.EffectiveDatabasesDir);
        if (user is not null)
        {
            // The cluster user must be able to reach its directory through this one.
            File.SetUnixFileMode(options.EffectiveDatabasesDir, (UnixFileMode)0b111_101_101);
        }
        foreach (var dir in new[] { Root, RunDir, ArchiveDir, Path.Combine(Root, "log") })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var password = Secrets.Password();
        var pwfile = Path.Combine(Root, "initdb.pw");
        await File.WriteAllTextAsync(pwfile, password + "\n", token);
        File.SetUnixFileMode(pwfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        user?.Own(Root);
        LogInitializing(logger, Root);
        var result = await PgTool.RunAsync(binaries.Path("initdb"),
            ["-D", DataDir, "-U", Superuser, "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--data-checksums"],
            null, token, user);
        File.Delete(pwfile);
        if (!result.Ok)
        {
            throw new UserException("Could not create the managed PostgreSQL cluster: " + result.Describe("initdb"));
        }

        await File.AppendAllTextAsync(Path.Combine(DataDir, "postgresql.conf"), "\ninclude 'slipway.conf'\n", token);
        user?.Own(DataDir);
        var state = new ClusterState(FreePort(), keyring.Encrypt(password));
        var temp = StatePath + ".tmp";
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(state), token);
        File.Move(temp, StatePath, overwrite: true);
        return state;
    }

    /// <summary>The administrator may connect to any database (and replicate: base backups); every other role
    /// only to the database of its own name (its environment's), with a password.</summary>
    public const string HbaConf = """
        # Written by Slipway at every start.
        local   all          slipway                 scram-sha-256
        host    all          slipway   127.0.0.1/32  scram-sha-256
        host    all          slipway   ::1/128       scram-sha-256
        local   replication  slipway                 scram-sha-256
        host    replication  slipway   127.0.0.1/32  scram-sha-256
        host    sameuser     all       127.0.0.1/32  scram-sha-256
        host    sameuser     all       ::1/128       scram-sha-256

        """;

    /// <summary>Who runs the cluster's programs (null: this process's user), once it has started.</summary>
    public ClusterUser? User { get; private set; }

    private void WriteSettings(int port, ClusterUser? user)
    {
        var hba = Path.Combine(DataDir, "pg_hba.conf");
        File.WriteAllText(hba, HbaConf);
        user?.Own(hba);
        var lines = new List<string>
        {
            "# Written by Slipway at every start; edit postgresql.conf (before the include) for your own settings.",
            "listen_addresses = '127.0.0.1'",
            $"port = {port}",
            $"unix_socket_directories = {PgConf.SocketDirectory(RunDir)}",
            "password_encryption = 'scram-sha-256'",
            "fsync = on",
            "synchronous_commit = on",
            "wal_level = replica",
            "archive_mode = on",
            // At most a minute of data is ever outside the archive (point-in-time recovery).
            // Compressed: a segment switched by archive_timeout is mostly empty and shrinks to almost nothing.
            $"archive_command = {PgConf.Literal(PgConf.ArchiveCommand(ArchiveDir))}",
            "archive_timeout = 60",
            "logging_collector = on",
            $"log_directory = {PgConf.Literal(Path.Combine(Root, "log"))}",
            "log_filename = 'postgresql-%a.log'",
            "log_truncate_on_rotation = on",
        };
        lines.AddRange(PostgresTuning.For(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes).Select(s => $"{s.Name} = '{s.Value}'"));
        var path = Path.Combine(DataDir, "slipway.conf");
        File.WriteAllLines(path, lines);
        user?.Own(path);
    }

    private async Task StartServerAsync(PostgresBinaries binaries, ClusterUser? user, PostgresTarget target, CancellationToken token)
    {
        WriteSettings(target.Port, user);
        var process = launcher.Start(PgTool.Server(binaries.Path("postgres"), ["-D", DataDir], Root, user, PgTool.GroupFor(host, "postgres")),
            line => Remember(line.Text));
        _process = process;
        try
        {
            // Recorded before it is waited for: a platform killed from here on leaves a server the next one can adopt.
            ServerRecord.Of(process)?.Write(RecordPath);
        }
        catch
        {
            await process.StopAsync(TimeSpan.Zero);
            await process.DisposeAsync();
            throw;
        }
        try
        {
            await WaitReadyAsync(process, target, user, token);
        }
        catch
        {
            await process.StopAsync(TimeSpan.Zero);
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>An adopted postmaster accepts the superuser's connection within <see cref="AdoptedAnswerBound"/>.</summary>
    private async Task<bool> AnswersAsync(ILaunchedProcess process, PostgresTarget target, ClusterUser? user, CancellationToken token)
    {
        try
        {
            await WaitReadyAsync(process, target, user, token, AdoptedAnswerBound);
            return true;
        }
        catch (Exception e) when (e is UserException or NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    private async Task WaitReadyAsync(ILaunchedProcess process, PostgresTarget target, ClusterUser? user, CancellationToken token, TimeSpan? bound = null)
    {
        var deadline = clock.GetUtcNow() + (bound ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            if (process.Exited.IsCompleted)
            {
                throw new UserException("The managed PostgreSQL did not start: " + string.Join(" | ", Output()) +
                    $" (its log is in {Path.Combine(Root, "log")})");
            }
            // The superuser's password goes only to a socket the server's own user opened (the port was free when
            // chosen; an app may have bound it since).
            var holder = Runtime.ListeningPorts.HolderOf(target.Port, user?.Uid ?? Runtime.ListeningPorts.PlatformUid);
            if (holder.Kind == Runtime.PortHolderKind.Stranger)
            {
                throw new UserException($"The managed PostgreSQL did not start: {holder.Describe(target.Port)}.");
            }
            if (holder.Kind == Runtime.PortHolderKind.Nobody && !process.Exited.IsCompleted)
            {
                if (clock.GetUtcNow() > deadline)
                {
                    throw new UserException($"The managed PostgreSQL did not listen on port {target.Port} within {(int)(bound ?? TimeSpan.FromSeconds(90)).TotalSeconds} s (its log is in {Path.Combine(Root, "log")}).");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100), clock, token);
                continue;
            }
            try
            {
                await using var connection = new NpgsqlConnection(target.ConnectionString());
                await connection.OpenAsync(token);
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && clock.GetUtcNow() < deadline)
            {
                // PostgresException 57P03: the database system is starting up (crash recovery).
                await Task.Delay(TimeSpan.FromMilliseconds(100), clock, token);
            }
        }
    }

    private void Remember(string line)
    {
        lock (_serverOutput)
        {
            _serverOutput.Enqueue(line);
            while (_serverOutput.Count > 20)
            {
                _serverOutput.Dequeue();
            }
        }
    }

    private List<string> Output()
    {
        lock (_serverOutput)
        {
            return [.. _serverOutput];
        }
    }

    /// <summary>Restarts the server whenever it exits while the platform runs, by the shared restart policy
    /// for servers (<see cref="RestartBackoff.Servers"/>).</summary>
    private async Task SuperviseAsync(PostgresBinaries binaries, ClusterUser? user, PostgresTarget target)
    {
        var restarts = new RestartBackoff(RestartBackoff.Servers, clock);
        while (!_stopping)
        {
            var process = _process!;
            var code = await process.Exited;
            if (_stopping)
            {
                return;
            }
            await process.DisposeAsync();
            Restarts++;
            LogCrashed(logger, code);
            store.AddEvent(null, null, "database.crashed", $"the managed PostgreSQL {ExitCodes.Describe(code)}; restarting it");
            var decision = restarts.AfterExit(code);
            while (!_stopping)
            {
                await Task.Delay(decision.Delay, clock);
                await _gate.WaitAsync();
                try
                {
                    if (_stopping)
                    {
                        return;
                    }
                    if (Pid is not null)
                    {
                        break; // a caller of EnsureRunningAsync started it meanwhile
                    }
                    await StartServerAsync(binaries, user, target, CancellationToken.None);
                    restarts.Started();
                    store.AddEvent(null, null, "database.restarted", "the managed PostgreSQL is running again");
                    break;
                }
                catch (Exception e) when (e is UserException or NpgsqlException or IOException)
                {
                    // Backends of the killed server may still hold its shared memory for a moment.
                    LogRestartFailed(logger, e.Message);
                }
                finally
                {
                    _gate.Release();
                }
                decision = restarts.AfterExit(1);
            }
        }
    }

    /// <summary>A server that still holds the data directory but was not adopted (it failed the identity checks, or a
    /// version of Slipway that did not record it started it): shut it down cleanly before starting one this process
    /// supervises.</summary>
    private async Task StopLeftoverAsync()
    {
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return;
        }
        // A postmaster killed while no platform ran is a zombie until its new parent reaps it: postgres takes that pid
        // for a running postmaster and refuses to start, so the start waits for it to be gone (a few seconds at most).
        var reaped = clock.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (IsZombie(pid) && clock.GetUtcNow() < reaped)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), clock);
        }
        string cmdline;
        try
        {
            cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return;
        }
        if (!cmdline.Contains("postgres", StringComparison.Ordinal) || !cmdline.Contains(DataDir, StringComparison.Ordinal))
        {
            return;
        }
        ProcessGroups.SignalProcess(pid, SigInt);
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (File.Exists($"/proc/{pid}/cmdline") && clock.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), clock);
        }
        ProcessGroups.SignalProcess(pid, ProcessGroups.SigKill);
    }

    private const int SigInt = 2;

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>A platform stop leaves the server running for the next platform process (detached: its record stays, it
    /// is not waited for, so an upgrade's successor takes the data directory at once); `slipway down` (the apps were
    /// stopped for good first) shuts it down.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _startingUp;
        _stopping = true;
        // A restart the supervisor (or a caller) is making finishes first: what runs after it is the one to detach or
        // stop. Bounded, as the host's shutdown budget is shared with redis and the apps.
        var held = await _gate.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        try
        {
            if (_process is { Exited.IsCompleted: false } process)
            {
                if (shutdown.StopsServers)
                {
                    // SIGINT: PostgreSQL's fast shutdown (roll back open transactions, checkpoint, exit); still running after
                    // 30 s: killed at once, as the host's shutdown budget is shared with redis and the apps.
                    await ShutDownAsync(process, TimeSpan.FromSeconds(30));
                    ServerRecord.Delete(RecordPath);
                }
                else
                {
                    LogDetached(logger, process.Pid);
                    await process.DetachAsync();
                    await process.DisposeAsync();
                }
            }
        }
        finally
        {
            if (held)
            {
                _gate.Release();
            }
        }
        if (_supervision is not null)
        {
            await _supervision;
        }
    }

    private async Task ShutDownAsync(ILaunchedProcess process, TimeSpan wait)
    {
        ProcessGroups.SignalProcess(process.Pid, SigInt);
        await Task.WhenAny(process.Exited, Task.Delay(wait, clock, CancellationToken.None));
        await process.StopAsync(TimeSpan.Zero);
        await process.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted the managed PostgreSQL left running by the previous platform process (pid {Pid})")]
    private static partial void LogAdopted(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The managed PostgreSQL recorded by the previous platform process (pid {Pid}) is gone or not recognized; starting a new one")]
    private static partial void LogNotAdopted(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The adopted managed PostgreSQL (pid {Pid}) did not answer within {Seconds} s; restarting it")]
    private static partial void LogAdoptedSilent(ILogger logger, int pid, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The managed PostgreSQL (pid {Pid}) is left running for the next platform process")]
    private static partial void LogDetached(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Creating the managed PostgreSQL cluster in {Root}")]
    private static partial void LogInitializing(ILogger logger, string root);

    [LoggerMessage(Level = LogLevel.Error, Message = "The managed PostgreSQL cluster did not start")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The managed PostgreSQL exited with code {Code}; restarting it")]
    private static partial void LogCrashed(ILogger logger, int code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting the managed PostgreSQL failed, retrying: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, string reason);
}
