using System.Diagnostics;
using System.Net;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Hosting;

/// <summary>The local supervisor `up` leaves (Cli/Launcher): a kill -9 of the platform under load is a blip, not an
/// outage: the launcher starts it again with the listening sockets it kept, the instances are adopted, and clients
/// wait in the backlog instead of being refused.</summary>
[Collection("platform-solo")]
public sealed class LauncherTests
{
    [Fact]
    public async Task After_kill_9_the_launcher_starts_the_platform_again_the_edge_answers_within_a_second_and_no_app_restarts()
    {
        var dataDir = TempDirs.Create("launcher");
        var port = Ports.Free();
        try
        {
            // The build users run (ReadyToRun): how soon the edge is back is mostly the server's start-up.
            await using var launcher = await LauncherProcess.StartAsync(dataDir, port, await PublishedCli.PathAsync());
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("deploy", TestApps.Copy("node-api", "1"), "--app", "crashy")).ExitCode.Should().Be(0);
            var pids = Pids(await cli.StatusAsync("crashy"));
            var serverPid = launcher.ServerPid;

            await using var load = new LoadLoop(port, "crashy", concurrency: 4);
            await Task.Delay(1000);
            var killedAt = load.Now;
            var sinceKill = Stopwatch.StartNew();
            ProcessGroups.SignalProcess(serverPid, ProcessGroups.SigKill);
            TimeSpan? back = null;
            using (var probe = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(30) })
            {
                while (back is null && sinceKill.Elapsed < TimeSpan.FromSeconds(30))
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
                    request.Headers.Host = "crashy.localhost";
                    request.Headers.ConnectionClose = true;
                    try
                    {
                        using var response = await probe.SendAsync(request);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            back = sinceKill.Elapsed;
                        }
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(10);
                    }
                }
            }
            await Task.Delay(1500);
            await load.StopAsync();

            back.Should().NotBeNull("the platform comes back by itself");
            var failures = load.Results.Where(s => s.Status != 200).OrderBy(s => s.At).ToList();
            Console.WriteLine($"kill -9 under load: the edge answered {back!.Value.TotalMilliseconds:F0} ms after the kill; " +
                $"{load.Results.Count} requests, {failures.Count} failed (in flight on the killed process): " +
                string.Join("; ", failures.Take(5).Select(f => f.ToString())));
            back.Value.Should().BeLessThan(TimeSpan.FromSeconds(5), "the edge is back at once (the goal is under a second; asserted loosely on a busy machine)");
            failures.Where(f => f.Version?.Contains("refused", StringComparison.OrdinalIgnoreCase) == true).Should()
                .BeEmpty("the kept listening socket queues connections while no platform runs: none is refused");
            failures.Where(f => f.At > killedAt + back.Value).Should().BeEmpty("every request started after the edge was back succeeds");
            Pids(await cli.StatusAsync("crashy")).Should().BeEquivalentTo(pids, "no app is restarted by a crash of the platform");
            launcher.ServerPid.Should().NotBe(serverPid);

            // `down` stops the apps and the platform, and the launcher with them.
            (await cli.RunAsync("down")).ExitCode.Should().Be(0);
            (await launcher.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(t => t.IsCompletedSuccessfully)).Should().BeTrue(launcher.Output);
            pids.Should().OnlyContain(pid => !ProcessTable.IsRunning(pid), "down stops the apps");
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    private static List<int> Pids(System.Text.Json.JsonElement status) =>
        status.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).ToList();
}
