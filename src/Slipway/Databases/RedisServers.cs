using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Databases;

/// <summary>One supervised redis-server per redis database of an environment: loopback only, a generated
/// password, maxmemory from the manifest, append-only persistence (fsync every second), its own directory.
/// Restarted when it exits; started again with the platform.</summary>
internal sealed partial class RedisServers(DatabasesOptions options, DatabaseStore databases, Keyring keyring, Store store, TimeProvider clock, ILogger<RedisServers> logger)
    : IHostedService
{
    public const string InstallHint = "Install redis-server: 'sudo apt-get install redis-server' (Debian/Ubuntu), 'sudo dnf install redis' (Fedora) or 'brew install redis' (macOS).";

    private sealed class Running
    {
        public required Process Process;
        public required Task Supervision;
        public volatile bool Stopping;
    }

    private readonly ConcurrentDictionary<string, Running> _running = new();

    public static string? Binary() =>
        new[] { Environment.GetEnvironmentVariable("SLIPWAY_REDIS_SERVER") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "redis-server")))
            .Append("/usr/bin/redis-server")
            .FirstOrDefault(p => p is { Length: > 0 } && File.Exists(p));

    private string DirOf(DatabaseRecord record) => Path.Combine(options.EffectiveDatabasesDir, "redis", record.DbName);

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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var record in databases.ListAll().Where(d => d.Type == DatabaseRecord.Redis))
        {
            try
            {
                await EnsureRunningAsync(record, cancellationToken);
            }
            catch (UserException e)
            {
                store.AddEvent(record.App, null, "database.failed", e.Message);
            }
        }
    }

    public async Task EnsureRunningAsync(DatabaseRecord record, CancellationToken token)
    {
        if (_running.TryGetValue(record.Id, out var running) && !running.Process.HasExited)
        {
            return;
        }
        var process = await StartServerAsync(record, token);
        var entry = new Running { Process = process, Supervision = Task.CompletedTask };
        entry.Supervision = Task.Run(() => SuperviseAsync(record, entry), CancellationToken.None);
        _running[record.Id] = entry;
    }

    private async Task<Process> StartServerAsync(DatabaseRecord record, CancellationToken token)
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
            $"pidfile {Path.Combine(dir, "redis.pid")}",
            "logfile \"\"",
        ], token);
        File.SetUnixFileMode(conf, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        user?.Own(dir);
        await StopLeftoverAsync(dir);
        var process = Process.Start(PgTool.Info(binary, [conf], null, user))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new UserException($"redis-server for {record.App} ({record.Name}) exited at start with code {process.ExitCode}; is port {settings.Port} taken?");
            }
            if (await PingAsync(settings.Port!.Value, keyring.Decrypt(record.SecretEnc), token))
            {
                return process;
            }
            if (clock.GetUtcNow() > deadline)
            {
                process.Kill();
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
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) || _running.Values.Any(r => !r.Process.HasExited && r.Process.Id == pid))
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
            return reply.Count == 2 && reply[1] == "PONG";
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task SuperviseAsync(DatabaseRecord record, Running entry)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            await entry.Process.WaitForExitAsync();
            if (entry.Stopping)
            {
                return;
            }
            LogCrashed(logger, record.App, record.Name, entry.Process.ExitCode);
            store.AddEvent(record.App, null, "database.crashed", $"redis {record.Name} exited (code {entry.Process.ExitCode}); restarting it");
            while (!entry.Stopping)
            {
                try
                {
                    entry.Process = await StartServerAsync(databases.FindById(record.Id) ?? record, CancellationToken.None);
                    delay = TimeSpan.FromMilliseconds(200);
                    break;
                }
                catch (UserException)
                {
                    await Task.Delay(delay, clock);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
                }
            }
        }
    }

    /// <summary>The server's pid (tests restart it).</summary>
    public int? Pid(string id) => _running.TryGetValue(id, out var r) && !r.Process.HasExited ? r.Process.Id : null;

    public async Task StopOneAsync(string id)
    {
        if (!_running.TryRemove(id, out var entry))
        {
            return;
        }
        entry.Stopping = true;
        if (!entry.Process.HasExited)
        {
            // SIGTERM: redis flushes the append-only file and exits.
            Runtime.ProcessGroups.SignalProcess(entry.Process.Id, Runtime.ProcessGroups.SigTerm);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await entry.Process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                entry.Process.Kill();
            }
        }
        await entry.Supervision;
    }

    public async Task DropAsync(DatabaseRecord record)
    {
        await StopOneAsync(record.Id);
        if (Directory.Exists(DirOf(record)))
        {
            Directory.Delete(DirOf(record), recursive: true);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await Task.WhenAll(_running.Keys.ToList().Select(StopOneAsync));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "redis {Name} of {App} exited with code {Code}; restarting it")]
    private static partial void LogCrashed(ILogger logger, string app, string name, int code);
}
