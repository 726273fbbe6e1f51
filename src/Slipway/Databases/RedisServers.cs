using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Config;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>One supervised redis-server per redis database of an environment: loopback only, a generated
/// password, maxmemory from the manifest, append-only persistence (fsync every second), its own directory.
/// Restarted when it exits. Like an app instance it outlives the platform process (a restart, an upgrade, a crash):
/// the next platform process adopts it (DATA/run/databases/redis-ID.json, <see cref="ServerRecord"/>) and checks it
/// answers; `slipway down` and a drop of its database stop it.</summary>
internal sealed partial class RedisServers(
    DatabasesOptions options, DatabaseStore databases, Keyring keyring, Store store, IProcessLauncher launcher, Sandbox.HostSupport host,
    ServerShutdown shutdown, TimeProvider clock, ILogger<RedisServers> logger)
    : IHostedService
{
    public const string InstallHint = "Install redis-server: 'sudo apt-get install redis-server' (Debian/Ubuntu), 'sudo dnf install redis' (Fedora) or 'brew install redis' (macOS).";

    private sealed class Running
    {
        public required ILaunchedProcess Process;
        public required Task Supervision;
        public volatile bool Stopping;
    }

    private readonly ConcurrentDictionary<string, Running> _running = new();

    /// <summary>How long an adopted server has to answer AUTH + PING before it is handled as crashed.</summary>
    private static readonly TimeSpan AdoptedAnswerBound = TimeSpan.FromSeconds(10);

    private string RecordPathOf(string id) => Path.Combine(ServerRecord.DirectoryIn(options.DataDir), $"redis-{id}.json");

    public static string? Binary() =>
        new[] { Environment.GetEnvironmentVariable("SLIPWAY_REDIS_SERVER") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "redis-server")))
            .Append("/usr/bin/redis-server")
            .FirstOrDefault(p => p is { Length: > 0 } && File.Exists(p));

    private string DirOf(DatabaseRecord record) => Path.Combine(options.EffectiveDatabasesDir, "redis", record.DbName);

    /// <summary>Bytes the server keeps on disk (its append-only file and snapshot); null when they cannot be read.</summary>
    public long? SizeOf(DatabaseRecord record)
    {
        try
        {
            var dir = new DirectoryInfo(DirOf(record));
            return dir.Exists ? dir.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public string Url(DatabaseRecord record, string password) =>
        $"redis://:{Uri.EscapeDataString(password)}@127.0.0.1:{record.ParsedSettings.Port}/0";

    /// <summary>Chooses the port, records the database and starts its server.</summary>
    public async Task<DatabaseRecord> CreateAsync(DatabaseRecord record, CancellationToken token)
    {
        _ = Binary() ?? throw new UserException("redis-server is not installed on this machine. " + InstallHint);
        record = record with { Settings = (record.ParsedSettings with { Port = FreePort() }).ToJson() };
        databases.Insert(record);
        try
        {
            await EnsureRunningAsync(record, token);
        }
        catch
        {
            databases.Delete(record.Id);
            throw;
        }
        return record;
    }

    private Task _startingUp = Task.CompletedTask;

    /// <summary>Adopts every redis an earlier platform process left running, at once (before Recovery's start-up sweep,
    /// which spares what the launcher adopted: each is then checked to answer in the background); starts the others in
    /// the background, all at once: apps start (or are adopted) in parallel with them.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var records = databases.ListAll().Where(d => d.Type == DatabaseRecord.Redis).ToList();
        var starting = records.Where(record => !TryAdopt(record)).ToList();
        _startingUp = Task.WhenAll(starting.Select(record => Task.Run(async () =>
        {
            try
            {
                await EnsureRunningAsync(record, CancellationToken.None);
            }
            catch (UserException e)
            {
                store.AddEvent(record.App, null, "database.failed", e.Message);
            }
        }, CancellationToken.None)));
        return Task.CompletedTask;
    }

    /// <summary>Takes over the server recorded for <paramref name="record"/> if it is still that process (the launcher's
    /// checks: pid, start time, owner mark, cgroup, output FIFOs); its supervisor first checks it answers. False: none
    /// was recorded, or the recorded one is gone or not recognized (an event says so), and a new one is to start.</summary>
    private bool TryAdopt(DatabaseRecord record)
    {
        if (ServerRecord.Read(RecordPathOf(record.Id)) is not { } recorded)
        {
            return false;
        }
        if (launcher.Adopt(recorded.Adoption, _ => { }) is not { } process)
        {
            LogNotAdopted(logger, record.App, record.Name, recorded.Pid);
            store.AddEvent(record.App, null, "database.replaced",
                $"redis {record.Name} (pid {recorded.Pid}) ended or was not recognized while no platform process ran; a new one starts");
            return false;
        }
        LogAdopted(logger, record.App, record.Name, process.Pid);
        var entry = new Running { Process = process, Supervision = Task.CompletedTask };
        entry.Supervision = Task.Run(() => SuperviseAsync(record, entry, adopted: true), CancellationToken.None);
        _running[record.Id] = entry;
        return true;
    }

    public async Task EnsureRunningAsync(DatabaseRecord record, CancellationToken token)
    {
        if (_running.TryGetValue(record.Id, out var running) && !running.Process.Exited.IsCompleted)
        {
            return;
        }
        var process = await StartServerAsync(record, token);
        var entry = new Running { Process = process, Supervision = Task.CompletedTask };
        entry.Supervision = Task.Run(() => SuperviseAsync(record, entry, adopted: false), CancellationToken.None);
        _running[record.Id] = entry;
    }

    private async Task<ILaunchedProcess> StartServerAsync(DatabaseRecord record, CancellationToken token)
    {
        var binary = Binary() ?? throw new UserException("redis-server is not installed on this machine. " + InstallHint);
        var user = ClusterUser.Resolve();
        var dir = DirOf(record);
        Directory.CreateDirectory(options.EffectiveDatabasesDir);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var settings = record.ParsedSettings;
        var conf = Path.Combine(dir, "redis.conf");
        await File.WriteAllLinesAsync(conf,
        [
            "# Written by Slipway at every start.",
            "bind 127.0.0.1",
            "protected-mode yes",
            $"port {settings.Port}",
            $"dir {dir}",
            $"requirepass {keyring.Decrypt(record.SecretEnc)}",
            $"maxmemory {settings.MaxMemory ?? "64mb"}",
            "maxmemory-policy noeviction",
            "appendonly yes",
            "appendfsync everysec",
            "daemonize no",
            // Its environment stays readable in /proc (a new process title would overwrite it): the owner mark there is one
            // of the checks that let the next platform process adopt it.
            "set-proc-title no",
            $"pidfile {Path.Combine(dir, "redis.pid")}",
            "logfile \"\"",
        ], token);
        File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        user?.Own(dir);
        await StopLeftoverAsync(dir);
        // Its log goes nowhere, as before: the supervisor records crashes and restarts as events.
        var process = launcher.Start(PgTool.Server(binary, [conf], dir, user, PgTool.GroupFor(host, "redis-" + record.DbName)), _ => { });
        try
        {
            // Recorded before it is waited for: a platform killed from here on leaves a server the next one can adopt.
            ServerRecord.Of(process)?.Write(RecordPathOf(record.Id));
        }
        catch
        {
            await process.StopAsync(TimeSpan.Zero);
            await process.DisposeAsync();
            throw;
        }
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.Exited.IsCompleted)
            {
                var code = await process.Exited;
                await process.DisposeAsync();
                throw new UserException($"redis-server for {record.App} ({record.Name}) {ExitCodes.Describe(code)} at start; is port {settings.Port} taken?");
            }
            // The password goes only to a socket redis-server's own user opened: the port was free when chosen, and
            // an app may have bound it since.
            var holder = Runtime.ListeningPorts.HolderOf(settings.Port!.Value, user?.Uid ?? Runtime.ListeningPorts.PlatformUid);
            if (holder.Kind == Runtime.PortHolderKind.Stranger)
            {
                await process.StopAsync(TimeSpan.Zero);
                await process.DisposeAsync();
                throw new UserException($"redis-server for {record.App} ({record.Name}) did not start: {holder.Describe(settings.Port.Value)}.");
            }
            if (holder.Kind is Runtime.PortHolderKind.Expected or Runtime.PortHolderKind.Unknown && await PingAsync(settings.Port.Value, keyring.Decrypt(record.SecretEnc), token))
            {
                return process;
            }
            if (clock.GetUtcNow() > deadline)
            {
                await process.StopAsync(TimeSpan.Zero);
                await process.DisposeAsync();
                throw new UserException($"redis-server for {record.App} ({record.Name}) did not answer within 30 s.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), clock, token);
        }
    }

    /// <summary>A server left running by a platform process that was killed holds the port: stop it (SIGTERM
    /// flushes its append-only file) before starting one this process supervises.</summary>
    private async Task StopLeftoverAsync(string dir)
    {
        var pidFile = Path.Combine(dir, "redis.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) || _running.Values.Any(r => !r.Process.Exited.IsCompleted && r.Process.Pid == pid))
        {
            return;
        }
        try
        {
            if (!File.ReadAllText($"/proc/{pid}/cmdline").Contains("redis-server", StringComparison.Ordinal))
            {
                return;
            }
        }
        catch (IOException)
        {
            return;
        }
        Runtime.ProcessGroups.SignalProcess(pid, Runtime.ProcessGroups.SigTerm);
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(15);
        while (File.Exists($"/proc/{pid}/cmdline") && clock.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), clock);
        }
        Runtime.ProcessGroups.SignalProcess(pid, Runtime.ProcessGroups.SigKill);
    }

    /// <summary>AUTH + PING over RESP: the server is up and the password is the one recorded.</summary>
    public static async Task<bool> PingAsync(int port, string password, CancellationToken token)
    {
        try
        {
            var reply = await RespClient.CommandsAsync(port, [["AUTH", password], ["PING"]], token);
            // AUTH must succeed itself: a server that refuses it but answers PING is not the one with this password.
            return reply.Count == 2 && reply[0] == "OK" && reply[1] == "PONG";
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return false; // no answer within the client's bound (a stopped process accepts but never replies)
        }
    }

    /// <summary>An adopted server answers AUTH + PING, with its recorded password on its recorded port, within
    /// <see cref="AdoptedAnswerBound"/>. False also when it ended meanwhile or stops being supervised.</summary>
    private async Task<bool> AnswersAsync(DatabaseRecord record, Running entry)
    {
        var port = record.ParsedSettings.Port!.Value;
        var password = keyring.Decrypt(record.SecretEnc);
        var uid = ClusterUser.Resolve()?.Uid ?? Runtime.ListeningPorts.PlatformUid;
        var deadline = clock.GetUtcNow() + AdoptedAnswerBound;
        while (!entry.Stopping && !entry.Process.Exited.IsCompleted)
        {
            // As at a start: the password goes only to a socket the server's own user opened.
            var holder = Runtime.ListeningPorts.HolderOf(port, uid);
            if (holder.Kind == Runtime.PortHolderKind.Stranger)
            {
                return false;
            }
            if (holder.Kind is Runtime.PortHolderKind.Expected or Runtime.PortHolderKind.Unknown && await PingAsync(port, password, CancellationToken.None))
            {
                return true;
            }
            if (clock.GetUtcNow() > deadline)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), clock);
        }
        return false;
    }

    /// <summary>Restarts the server whenever it exits, by the shared restart policy for servers. An adopted one is first
    /// checked to answer; one that does not is handled as a crash.</summary>
    private async Task SuperviseAsync(DatabaseRecord record, Running entry, bool adopted)
    {
        var restarts = new RestartBackoff(RestartBackoff.Servers, clock);
        var silent = false;
        if (adopted && !await AnswersAsync(record, entry) && !entry.Stopping && !entry.Process.Exited.IsCompleted)
        {
            silent = true;
            LogAdoptedSilent(logger, record.App, record.Name, entry.Process.Pid, (int)AdoptedAnswerBound.TotalSeconds);
            store.AddEvent(record.App, null, "database.crashed",
                $"redis {record.Name} (pid {entry.Process.Pid}) left running by the previous platform process did not answer within {(int)AdoptedAnswerBound.TotalSeconds} s; restarting it");
            // SIGTERM (a server that still runs flushes its append-only file), SIGKILL after the grace.
            await entry.Process.StopAsync(TimeSpan.FromSeconds(5));
        }
        while (true)
        {
            var code = await entry.Process.Exited;
            if (entry.Stopping)
            {
                return;
            }
            await entry.Process.DisposeAsync();
            if (!silent)
            {
                LogCrashed(logger, record.App, record.Name, code);
                store.AddEvent(record.App, null, "database.crashed", $"redis {record.Name} {ExitCodes.Describe(code)}; restarting it");
            }
            silent = false;
            var decision = restarts.AfterExit(code);
            while (!entry.Stopping)
            {
                await Task.Delay(decision.Delay, clock);
                if (entry.Stopping)
                {
                    return;
                }
                try
                {
                    var started = await StartServerAsync(databases.FindById(record.Id) ?? record, CancellationToken.None);
                    entry.Process = started;
                    // A full fence, so either StopOneAsync sees this process or this loop sees it stopping.
                    Interlocked.MemoryBarrier();
                    if (entry.Stopping)
                    {
                        // StopOneAsync ran while this one started and stopped the previous process: this one is
                        // ours to stop (SIGTERM flushes its append-only file).
                        await started.StopAsync(TimeSpan.FromSeconds(15));
                        await started.DisposeAsync();
                        return;
                    }
                    restarts.Started();
                    store.AddEvent(record.App, null, "database.restarted", $"redis {record.Name} is running again");
                    break;
                }
                catch (UserException)
                {
                    decision = restarts.AfterExit(1);
                }
            }
        }
    }

    /// <summary>The server's pid (tests restart it).</summary>
    public int? Pid(string id) => _running.TryGetValue(id, out var r) && !r.Process.Exited.IsCompleted ? r.Process.Pid : null;

    public Task StopOneAsync(string id) => StopOneAsync(id, detach: false);

    /// <summary>Stops the server of database <paramref name="id"/> (SIGTERM: redis flushes the append-only file and exits)
    /// and forgets its record, or with <paramref name="detach"/> leaves it running for the next platform process.</summary>
    private async Task StopOneAsync(string id, bool detach)
    {
        if (!_running.TryRemove(id, out var entry))
        {
            return;
        }
        entry.Stopping = true;
        Interlocked.MemoryBarrier();
        // A server the supervisor was starting meanwhile is stopped by the supervisor itself, which sees Stopping once it
        // has it.
        var process = entry.Process;
        if (detach)
        {
            LogDetached(logger, process.Pid);
            await process.DetachAsync();
        }
        else
        {
            await process.StopAsync(TimeSpan.FromSeconds(15));
        }
        await entry.Supervision;
        await process.DisposeAsync();
        if (entry.Process != process)
        {
            await entry.Process.StopAsync(TimeSpan.FromSeconds(15));
            await entry.Process.DisposeAsync();
        }
        if (!detach)
        {
            ServerRecord.Delete(RecordPathOf(id));
        }
    }

    public async Task DropAsync(DatabaseRecord record)
    {
        await StopOneAsync(record.Id, detach: false);
        if (Directory.Exists(DirOf(record)))
        {
            Directory.Delete(DirOf(record), recursive: true);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _startingUp;
        // A platform stop leaves every server running for the next platform process; `slipway down` stops them.
        var detach = !shutdown.StopsServers;
        await Task.WhenAll(_running.Keys.ToList().Select(id => StopOneAsync(id, detach)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Adopted redis {Name} of {App} left running by the previous platform process (pid {Pid})")]
    private static partial void LogAdopted(ILogger logger, string app, string name, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "redis {Name} of {App} recorded by the previous platform process (pid {Pid}) is gone or not recognized; starting a new one")]
    private static partial void LogNotAdopted(ILogger logger, string app, string name, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The adopted redis {Name} of {App} (pid {Pid}) did not answer within {Seconds} s; restarting it")]
    private static partial void LogAdoptedSilent(ILogger logger, string app, string name, int pid, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "redis-server (pid {Pid}) is left running for the next platform process")]
    private static partial void LogDetached(ILogger logger, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "redis {Name} of {App} exited with code {Code}; restarting it")]
    private static partial void LogCrashed(ILogger logger, string app, string name, int code);
}
