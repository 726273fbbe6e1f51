using System.Net.Sockets;
using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

/// <summary>The managed PostgreSQL and redis outlive the platform process as app instances do: a kill -9 or a SIGTERM of
/// the platform leaves them (and the apps' connections) alone and the next platform process adopts them; one killed
/// while no platform ran is replaced; `slipway down` stops them.</summary>
[Collection("platform-2")]
public sealed class DatabaseAdoptionTests
{
    [Fact]
    public async Task Kill_9_and_SIGTERM_of_the_platform_keep_the_servers_and_held_connections_and_down_stops_them()
    {
        var dataDir = TempDirs.Create("dbadopt");
        var databasesDir = dataDir + "-db";
        var port = Ports.Free();
        PlatformProcess? platform = null;
        try
        {
            platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("db", "create", "--create", "--app", "keeper")).ExitCode.Should().Be(0);
            (await cli.RunAsync("db", "create", "--create", "--app", "keeper", "--type", "redis")).ExitCode.Should().Be(0);
            (await cli.RunAsync("db", "psql", "--app", "keeper", "-c", "create table t(v text); insert into t values ('before')")).ExitCode.Should().Be(0);
            var pgUrl = (await cli.RunAsync("db", "url", "--app", "keeper")).Out.Trim();
            var redisUrl = new Uri((await cli.RunAsync("db", "url", "--app", "keeper", "--name", "cache")).Out.Trim());
            var redisPassword = Uri.UnescapeDataString(redisUrl.UserInfo.TrimStart(':'));

            await using var pg = new NpgsqlConnection(ConnectionString(pgUrl));
            await pg.OpenAsync();
            using var redis = await HeldRedis.OpenAsync(redisUrl.Port, redisPassword);
            var postmaster = Postmasters(databasesDir).Should().ContainSingle().Subject;
            var redisPid = await redis.PidAsync();

            // kill -9: nothing of the platform's shutdown runs. A row written while no platform runs is kept.
            platform.KillHard();
            await ExecAsync(pg, "insert into t values ('while down')");
            (await redis.SendAsync("SET", "k", "while down")).Should().Be("OK");
            platform = await PlatformProcess.StartAsync(dataDir, port);
            await AssertKeptAsync(cli, pg, redis, databasesDir, postmaster, redisPid, "after kill -9");

            // SIGTERM (a restart): the platform stops cleanly, the servers are left running.
            platform.Terminate();
            platform = await PlatformProcess.StartAsync(dataDir, port);
            await AssertKeptAsync(cli, pg, redis, databasesDir, postmaster, redisPid, "after SIGTERM");
            // Recovery's start-up sweep ran after the adoption and spared them (they carry the owner mark).
            ProcessTable.IsRunning(postmaster).Should().BeTrue();
            ProcessTable.IsRunning(redisPid).Should().BeTrue();

            // While no platform runs, PostgreSQL is killed (its whole process group) and redis hangs (SIGSTOP): the dead one
            // is replaced, the silent one is adopted, does not answer, and is restarted as after a crash; events say so,
            // and the data is intact.
            platform.Terminate();
            ProcessGroups.Signal(postmaster, ProcessGroups.SigKill);
            ProcessGroups.SignalProcess(redisPid, SigStop);
            (await WaitAsync(() => !ProcessTable.IsRunning(postmaster))).Should().BeTrue();
            platform = await PlatformProcess.StartAsync(dataDir, port);
            var read = await cli.RunAsync("db", "psql", "--app", "keeper", "-c", "select string_agg(v, ',' order by v) from t");
            read.ExitCode.Should().Be(0, read.ToString());
            read.Out.Trim().Should().Be("before,while down");
            var newPostmaster = Postmasters(databasesDir).Should().ContainSingle().Subject;
            newPostmaster.Should().NotBe(postmaster);
            (await WaitAsync(() => Events(dataDir).Any(e => e.Kind == "database.restarted" && e.App == "keeper"), TimeSpan.FromSeconds(40))).Should().BeTrue(
                "the adopted redis that does not answer is restarted within its bound");
            ProcessTable.IsRunning(redisPid).Should().BeFalse("the silent redis is stopped before a new one starts");
            using (var again = await ConnectRedisAsync(redisUrl.Port, redisPassword))
            {
                (await again.SendAsync("GET", "k")).Should().Be("while down");
                (await again.PidAsync()).Should().NotBe(redisPid);
            }
            Events(dataDir).Should().Contain(e => e.Kind == "database.replaced" && e.App == null && e.Message.Contains($"pid {postmaster}"))
                .And.Contain(e => e.Kind == "database.crashed" && e.App == "keeper" && e.Message.Contains($"pid {redisPid}") && e.Message.Contains("did not answer"));

            // `slipway down` (the platform's shutdown endpoint): the apps stop for good, and so do the servers.
            await ShutDownAsync(platform);
            (await WaitAsync(() => Postmasters(databasesDir).Count == 0 && RedisServersIn(databasesDir).Count == 0)).Should().BeTrue(
                "`down` stops PostgreSQL and redis: no server of this data directory is left");
            File.Exists(Path.Combine(dataDir, "run", "databases", "postgres.json")).Should().BeFalse("a stopped server is not recorded for adoption");
        }
        finally
        {
            if (platform is not null)
            {
                await platform.DisposeAsync();
            }
            TempDirs.Delete(dataDir);
            TempDirs.Delete(databasesDir);
        }
    }

    /// <summary>The database servers are adopted (or started) before Recovery's start-up sweep, whose set names only the
    /// instances: the launcher spares every launch it adopted or started in this process. No cgroups here, so the
    /// sparing by process group is what is checked (the platform test above runs with them where the host has them).</summary>
    [Fact]
    public async Task The_start_up_sweep_spares_what_this_launcher_adopted_or_launched_and_kills_the_rest()
    {
        var owner = "owner-" + Guid.NewGuid().ToString("N");
        var runDir = TempDirs.Create("sweepspare");
        var environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" };
        var spec = LaunchSpec.Exec("sleep", ["60"], "/tmp", environment) with { Adoptable = true };
        var previous = new LocalProcessLauncher(TimeProvider.System, owner, runDir: runDir);
        await using var server = previous.Start(spec, _ => { });
        await using var leftover = previous.Start(spec, _ => { });
        var record = new Adoption(server.Pid, server.StartIdentity, server.LaunchKey!);
        await server.DetachAsync();
        await leftover.DetachAsync();

        var next = new LocalProcessLauncher(TimeProvider.System, owner, runDir: runDir);
        await using var adopted = next.Adopt(record, _ => { });
        adopted.Should().NotBeNull();
        await using var started = next.Start(spec, _ => { });
        try
        {
            var killed = await next.SweepAsync(new HashSet<string>(), TimeSpan.FromSeconds(2));

            killed.Should().Be(1, "only the launch nobody adopted is a leftover");
            (await WaitAsync(() => !ProcessTable.IsRunning(leftover.Pid))).Should().BeTrue();
            ProcessTable.IsRunning(adopted!.Pid).Should().BeTrue("an adopted server is spared though the sweep's set does not name it");
            ProcessTable.IsRunning(started.Pid).Should().BeTrue("what this launcher started before the sweep is spared");
            File.Exists(Path.Combine(runDir, record.LaunchKey + ".out")).Should().BeTrue("the adopted launch keeps its FIFOs");
        }
        finally
        {
            await adopted!.StopAsync(TimeSpan.FromSeconds(2));
            await started.StopAsync(TimeSpan.FromSeconds(2));
            ProcessGroups.Signal(leftover.Pid, ProcessGroups.SigKill);
            TempDirs.Delete(runDir);
        }
    }

    private static async Task AssertKeptAsync(CliRunner cli, NpgsqlConnection pg, HeldRedis redis, string databasesDir, int postmaster, int redisPid, string when)
    {
        Postmasters(databasesDir).Should().Equal([postmaster], $"the postmaster is adopted {when}, not restarted");
        (await redis.PidAsync()).Should().Be(redisPid, $"redis is adopted {when}, not restarted");
        // The connections opened before the platform went away still work.
        await using (var select = new NpgsqlCommand("select count(*) from t", pg))
        {
            ((long)(await select.ExecuteScalarAsync())!).Should().Be(2);
        }
        (await redis.SendAsync("GET", "k")).Should().Be("while down");
        var read = await cli.RunAsync("db", "psql", "--app", "keeper", "-c", "select string_agg(v, ',' order by v) from t");
        read.ExitCode.Should().Be(0, read.ToString());
        read.Out.Trim().Should().Be("before,while down");
    }

    private static async Task ExecAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ShutDownAsync(PlatformProcess platform)
    {
        using var api = new Slipway.Cli.ApiClient(platform.DataDir);
        try
        {
            await api.PostAsync<System.Text.Json.JsonElement?>("v1/shutdown", null, CancellationToken.None);
        }
        catch (System.Text.Json.JsonException)
        {
            // 202 without a body.
        }
        (await WaitAsync(() => !ProcessTable.IsRunning(platform.Pid), TimeSpan.FromSeconds(60))).Should().BeTrue("the platform exits after `down`");
    }

    private static async Task<HeldRedis> ConnectRedisAsync(int port, string password)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await HeldRedis.OpenAsync(port, password);
            }
            catch (Exception e) when (e is SocketException or IOException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private const int SigStop = 19;

    private sealed record Event(string? App, string Kind, string Message);

    private static List<Event> Events(string dataDir)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "slipway.db")};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "select app, kind, message from events order by id";
        using var reader = command.ExecuteReader();
        var events = new List<Event>();
        while (reader.Read())
        {
            events.Add(new Event(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return events;
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }

    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var (user, password) = (uri.UserInfo.Split(':')[0], Uri.UnescapeDataString(uri.UserInfo.Split(':')[1]));
        return new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.Port, Username = user, Password = password, Database = uri.AbsolutePath.Trim('/'), Pooling = false }.ConnectionString;
    }

    /// <summary>Running postmasters of clusters under <paramref name="root"/> (backends rename their command line).</summary>
    private static List<int> Postmasters(string root) => Processes(cmdline => cmdline.Contains("bin/postgres -D " + root + "/", StringComparison.Ordinal));

    /// <summary>redis-servers whose configuration is under <paramref name="root"/>.</summary>
    private static List<int> RedisServersIn(string root) => Processes(cmdline => cmdline.Contains("redis-server " + root + "/", StringComparison.Ordinal));

    private static List<int> Processes(Func<string, bool> matches)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && ProcessTable.IsRunning(pid))
            {
                try
                {
                    if (matches(File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')))
                    {
                        pids.Add(pid);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        return pids;
    }

    /// <summary>One RESP connection held open, as an app's client holds it.</summary>
    private sealed class HeldRedis : IDisposable
    {
        private readonly TcpClient _client;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private HeldRedis(TcpClient client)
        {
            _client = client;
            _stream = client.GetStream();
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<HeldRedis> OpenAsync(int port, string password)
        {
            var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
            }
            catch
            {
                client.Dispose();
                throw;
            }
            var held = new HeldRedis(client);
            if (await held.SendAsync("AUTH", password) != "OK")
            {
                held.Dispose();
                throw new IOException("redis refused the password");
            }
            return held;
        }

        /// <summary>The server's own pid, from INFO server.</summary>
        public async Task<int> PidAsync()
        {
            var info = await SendAsync("INFO", "server");
            var line = info!.Split("\r\n").Single(l => l.StartsWith("process_id:", StringComparison.Ordinal));
            return int.Parse(line["process_id:".Length..], System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task<string?> SendAsync(params string[] command)
        {
            var request = new StringBuilder().Append('*').Append(command.Length).Append("\r\n");
            foreach (var part in command)
            {
                request.Append('$').Append(Encoding.UTF8.GetByteCount(part)).Append("\r\n").Append(part).Append("\r\n");
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("redis closed the connection");
            if (line[0] != '$')
            {
                return line[1..];
            }
            var length = int.Parse(line[1..], System.Globalization.CultureInfo.InvariantCulture);
            if (length < 0)
            {
                return null;
            }
            var buffer = new char[length + 2];
            for (var read = 0; read < buffer.Length;)
            {
                var n = await _reader.ReadAsync(buffer.AsMemory(read), timeout.Token);
                read += n > 0 ? n : throw new IOException("redis closed the connection");
            }
            return new string(buffer, 0, length);
        }

        public void Dispose()
        {
            _reader.Dispose();
            _client.Dispose();
        }
    }
}
