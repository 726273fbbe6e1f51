using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform")]
public sealed class PitrKillTests
{
    [Fact]
    public async Task After_SIGKILL_of_the_platform_mid_recovery_its_temporary_cluster_and_half_made_database_are_cleaned_up()
    {
        var dataDir = TempDirs.Create("pitrkill");
        var root = Path.Combine(dataDir + "-db", "postgres");
        var port = Ports.Free();
        try
        {
            var platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("db", "create", "--create", "--app", "rewind")).ExitCode.Should().Be(0);
            (await cli.RunAsync("db", "psql", "--app", "rewind", "-c", "create table t as select g, md5(g::text) h from generate_series(1, 300000) g")).ExitCode.Should().Be(0);
            (await DatabaseFixture.EventuallyAsync(async () =>
            {
                await Task.Yield();
                return Directory.Exists(Path.Combine(root, "base")) && Directory.GetDirectories(Path.Combine(root, "base")).Any(d => File.Exists(Path.Combine(d, "finished")));
            }, TimeSpan.FromSeconds(60))).Should().BeTrue("a base backup is taken soon after the cluster starts");
            await Task.Delay(1100);
            var at = DateTime.UtcNow.ToString("O");

            var recovering = cli.RunAsync("db", "restore", "--app", "rewind", "--at", at, "--to-new", "rewind_then");
            (await DatabaseFixture.EventuallyAsync(async () =>
            {
                await Task.Yield();
                return Directory.GetDirectories(root, "recover-*").Any(d => File.Exists(Path.Combine(d, "data", "postmaster.pid")));
            }, TimeSpan.FromSeconds(60))).Should().BeTrue("the recovery starts its temporary cluster");
            platform.KillHard();
            await recovering;
            RecoveryPostmasters(root).Should().NotBeEmpty("the temporary cluster outlives the killed platform (what the restart must clean up)");

            await using var again = await PlatformProcess.StartAsync(dataDir, port);
            (await DatabaseFixture.EventuallyAsync(async () =>
            {
                await Task.Yield();
                return RecoveryPostmasters(root).Count == 0 && Directory.GetDirectories(root, "recover-*").Length == 0;
            }, TimeSpan.FromSeconds(30))).Should().BeTrue("the restarted platform stops the leftover temporary cluster and deletes its copy");
            // The half-made target is gone too: the same name can be recovered into.
            var retry = await cli.RunAsync("db", "restore", "--app", "rewind", "--at", at, "--to-new", "rewind_then");
            retry.ExitCode.Should().Be(0, retry.ToString());
            (await cli.RunAsync("db", "ls", "--app", "rewind")).Out.Should().Contain("rewind_then");
        }
        finally
        {
            foreach (var pid in RecoveryPostmasters(root))
            {
                Slipway.Runtime.ProcessGroups.SignalProcess(pid, Slipway.Runtime.ProcessGroups.SigKill);
            }
            TempDirs.Delete(dataDir);
            TempDirs.Delete(dataDir + "-db");
        }
    }

    private static List<int> RecoveryPostmasters(string root)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmdline.Contains("bin/postgres -D " + Path.Combine(root, "recover-"), StringComparison.Ordinal) && ProcessTable.IsRunning(pid))
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
