using System.Text.Json;
using Npgsql;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Hosting;

/// <summary>`slipway upgrade` under load: the running platform hands its sockets, its data directory and its instances to
/// a successor started from a binary beside it; no request fails, no app restarts, and a binary that cannot take over
/// changes nothing.</summary>
[Collection("platform-solo")]
public sealed class UpgradeTests
{
    [Fact]
    public async Task An_upgrade_under_load_fails_no_request_keeps_every_app_and_a_failed_one_keeps_the_old_platform_serving()
    {
        var dataDir = TempDirs.Create("upgrade");
        try
        {
            await using var launcher = await LauncherProcess.StartAsync(dataDir, Ports.Free());
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("deploy", TestApps.Copy("node-api", "1"), "--app", "steady")).ExitCode.Should().Be(0);
            var pids = Pids(await cli.StatusAsync("steady"));
            var before = launcher.ServerPid;
            // The managed PostgreSQL is handed over too: the successor adopts the postmaster, an app's connection stays.
            (await cli.RunAsync("db", "create", "--create", "--app", "keeper")).ExitCode.Should().Be(0);
            await using var held = new NpgsqlConnection(ConnectionString((await cli.RunAsync("db", "url", "--app", "keeper")).Out.Trim()));
            await held.OpenAsync();
            var postmaster = Postmaster(dataDir);

            // A binary that says it is a version but cannot start: the running platform keeps serving, nothing fails.
            var broken = Path.Combine(dataDir, "broken-slipway");
            await File.WriteAllTextAsync(broken, "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 9.9.9; exit 0; fi\necho 'cannot start' >&2\nexit 3\n");
            File.SetUnixFileMode(broken, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await using (var load = new LoadLoop(launcher.Port, "steady", concurrency: 4))
            {
                var failed = await cli.RunAsync("upgrade", broken);
                failed.ExitCode.Should().Be(1, failed.ToString());
                failed.Err.Should().Contain("exited with code 3 before it took over").And.Contain("the running platform keeps serving");
                await Task.Delay(500);
                await load.StopAsync();
                load.Failures.Should().BeEmpty();
            }
            launcher.ServerPid.Should().Be(before, "a failed upgrade leaves the old platform in place");

            // The real thing: the same executable as a successor (a new version would be another path beside it).
            await using (var load = new LoadLoop(launcher.Port, "steady", concurrency: 4))
            {
                await Task.Delay(500);
                var upgraded = await cli.RunAsync("upgrade", LauncherProcess.Executable);
                upgraded.ExitCode.Should().Be(0, upgraded + "\n" + launcher.Output);
                upgraded.Out.Should().Contain("Upgraded:").And.Contain("every app kept running");
                await Task.Delay(1000);
                await load.StopAsync();
                Console.WriteLine($"upgrade under load: {load.Results.Count} requests, {load.Failures.Count} failed; {upgraded.Out.Trim().Split('\n')[^1]}");
                load.Failures.Should().BeEmpty("no connection is refused and no request fails during an upgrade");
                load.Results.Should().HaveCountGreaterThan(20);
            }
            var after = launcher.ServerPid;
            after.Should().NotBe(before);
            ProcessTable.IsRunning(before).Should().BeFalse("the old platform exits once its successor serves");
            Pids(await cli.StatusAsync("steady")).Should().BeEquivalentTo(pids, "the apps are handed over, not restarted");
            Postmaster(dataDir).Should().Be(postmaster, "the successor adopts the managed PostgreSQL");
            ProcessTable.IsRunning(postmaster).Should().BeTrue();
            await using (var select = new NpgsqlCommand("select 1", held))
            {
                (await select.ExecuteScalarAsync()).Should().Be(1, "a connection opened before the upgrade still works");
            }

            // The launcher follows the successor: a crash of the new platform is restarted too.
            ProcessGroups.SignalProcess(after, ProcessGroups.SigKill);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && (!File.Exists(Path.Combine(dataDir, "slipway.pid")) || launcher.ServerPid == after ||
                                                  !await new Slipway.Cli.ApiClient(dataDir).IsUpAsync(CancellationToken.None)))
            {
                await Task.Delay(100);
            }
            launcher.ServerPid.Should().NotBe(after, launcher.Output);
            Pids(await cli.StatusAsync("steady")).Should().BeEquivalentTo(pids);
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }

    [Fact]
    public async Task The_API_socket_stays_the_same_file_through_an_upgrade_and_a_successor_that_dies_after_taking_over_is_reported_at_once()
    {
        var dataDir = TempDirs.Create("upgrade-api");
        try
        {
            await using var launcher = await LauncherProcess.StartAsync(dataDir, Ports.Free());
            var cli = new CliRunner(dataDir);
            var socket = Path.Combine(dataDir, "slipway.sock");
            var inode = Inode(socket);

            // The CLI keeps asking through the Unix socket while the platform is handed over: every ask is answered.
            using var stop = new CancellationTokenSource();
            var failures = 0;
            var asked = 0;
            var pinging = Task.Run(async () =>
            {
                using var api = new Slipway.Cli.ApiClient(dataDir);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await api.GetAsync<Slipway.Api.PingDto>("v1/ping", CancellationToken.None);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or System.Net.Sockets.SocketException or UserException)
                    {
                        Interlocked.Increment(ref failures);
                    }
                    Interlocked.Increment(ref asked);
                    await Task.Delay(20);
                }
            });
            var upgraded = await cli.RunAsync("upgrade", LauncherProcess.Executable);
            upgraded.ExitCode.Should().Be(0, upgraded + "\n" + launcher.Output);
            await Task.Delay(300);
            await stop.CancelAsync();
            await pinging;
            asked.Should().BeGreaterThan(10);
            failures.Should().Be(0, "the API socket is handed over like the edge's: nothing waiting on it is refused");
            Inode(socket).Should().Be(inode, "the successor listens on the same socket file; the old one did not unlink it");

            // A successor that takes the sockets and then cannot start (a port it needs is taken): the old platform
            // exits for it, the launcher starts the previous version again, and `upgrade` says so at once.
            using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            taken.Start();
            var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            var failing = Path.Combine(dataDir, "failing-slipway");
            await File.WriteAllTextAsync(failing, $"#!/bin/sh\nif [ \"$1\" = --version ]; then exec '{LauncherProcess.Executable}' --version; fi\n" +
                $"exec '{LauncherProcess.Executable}' \"$@\" --api-port {port}\n");
            File.SetUnixFileMode(failing, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var before = launcher.ServerPid;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var failed = await cli.RunAsync("upgrade", failing);
            failed.ExitCode.Should().Be(1, failed.ToString());
            failed.Err.Should().Contain("stopped after it took over").And.Contain("started the previous version again");
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "the CLI does not wait out its two minutes");
            (await new Slipway.Cli.ApiClient(dataDir).IsUpAsync(CancellationToken.None)).Should().BeTrue();
            launcher.ServerPid.Should().NotBe(before);
            File.ReadAllText($"/proc/{launcher.ServerPid}/cmdline").Should().NotContain("--api-port", "the previous version serves again");
            Inode(socket).Should().Be(inode);
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    private static ulong Inode(string path)
    {
        var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return ulong.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The pid postmaster.pid names (the launcher starts the platform with --databases-dir DATA-db).</summary>
    private static int Postmaster(string dataDir) =>
        int.Parse(File.ReadLines(Path.Combine(dataDir + "-db", "postgres", "data", "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    private static string ConnectionString(string url)
    {
        var uri = new Uri(url);
        var (user, password) = (uri.UserInfo.Split(':')[0], Uri.UnescapeDataString(uri.UserInfo.Split(':')[1]));
        return new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.Port, Username = user, Password = password, Database = uri.AbsolutePath.Trim('/'), Pooling = false }.ConnectionString;
    }

    private static List<int> Pids(JsonElement status) =>
        status.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).ToList();
}
