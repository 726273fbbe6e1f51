using System.Text.Json;
using Slipway.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform-2")]
public sealed class PlatformKillTests
{
    [Fact]
    public async Task After_SIGKILL_of_the_platform_a_restart_takes_over_its_postgres_and_redis_with_their_data()
    {
        var dataDir = TempDirs.Create("dbkill");
        var port = Ports.Free();
        try
        {
            var platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("db", "create", "--create", "--app", "phoenix")).ExitCode.Should().Be(0);
            (await cli.RunAsync("db", "create", "--create", "--app", "phoenix", "--type", "redis")).ExitCode.Should().Be(0);
            (await cli.RunAsync("db", "psql", "--app", "phoenix", "-c", "create table t(v text); insert into t values ('survives')")).ExitCode.Should().Be(0);
            var redis = new Uri((await cli.RunAsync("db", "url", "--app", "phoenix", "--name", "cache")).Out.Trim());
            var password = Uri.UnescapeDataString(redis.UserInfo.TrimStart(':'));
            (await RespClient.CommandsAsync(redis.Port, [["AUTH", password], ["SET", "k", "v"], ["SAVE"]], CancellationToken.None))[1].Should().Be("OK");
            var postgresBefore = Postmasters(dataDir + "-db/");
            postgresBefore.Should().HaveCount(1);

            platform.KillHard();
            // The databases outlive the platform process; the next one takes them over (one server each, not two).
            await using var again = await PlatformProcess.StartAsync(dataDir, port);
            var read = await cli.RunAsync("db", "psql", "--app", "phoenix", "-c", "select v from t");
            read.ExitCode.Should().Be(0, read.ToString());
            read.Out.Trim().Should().Be("survives");
            (await RespClient.CommandsAsync(redis.Port, [["AUTH", password], ["GET", "k"]], CancellationToken.None))[1].Should().Be("v");
            Postmasters(dataDir + "-db/").Should().Equal(postgresBefore, "the postmaster outlives the platform process and is adopted, not restarted");
            var doctor = JsonDocument.Parse((await cli.RunAsync("doctor", "--json")).Out).RootElement;
            doctor.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "managed postgres").GetProperty("ok").GetBoolean().Should().BeTrue();
        }
        finally
        {
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }

    /// <summary>Running postmasters of clusters under <paramref name="root"/> (backends rename their command line).</summary>
    private static List<int> Postmasters(string root)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && ProcessTable.IsRunning(pid))
            {
                try
                {
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmdline.Contains("bin/postgres -D " + root, StringComparison.Ordinal))
                    {
                        pids.Add(pid);
                    }
                }
                catch (IOException)
                {
                }
            }
        }
        return pids;
    }
}
