using System.Text.Json;
using Npgsql;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Hosting;

/// <summary>`slipway upgrade` under load: the running platform hands its sockets, its data directory and its instances to
/// a successor started from a binary beside it; no request fails, no app restarts, and a binary that cannot take over
/// changes nothing.</summary>
[Collection("platform")]
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
