using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform-3")]
public sealed class PlatformRestartTests
{
    [Fact]
    public async Task After_SIGKILL_of_the_platform_a_restart_adopts_the_live_instances_and_fails_the_interrupted_deployment()
    {
        var dataDir = TempDirs.Create("restart");
        var port = Ports.Free();
        try
        {
            var platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("deploy", TestApps.Copy("node-api", "1"), "--app", "phoenix")).ExitCode.Should().Be(0);
            var before = await cli.StatusAsync("phoenix");
            var oldPids = before.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).ToList();

            // A second deployment is caught in its build when the platform dies.
            var slow = TestApps.Copy("node-api", "2");
            // A command line no other run on the machine has: the process table is the whole machine's.
            var build = $"sleep 60.{Random.Shared.Next(100000, 999999)}";
            TestApps.EditManifest(slow, m => m["services"]!["web"]!["build"] = build);
            var queued = await cli.RunAsync("deploy", slow, "--app", "phoenix", "--no-follow", "--json");
            var slowId = JsonDocument.Parse(queued.Out).RootElement.GetProperty("id").GetString();
            await WaitForAsync(async () => (await cli.DeploymentAsync(slowId!)).GetProperty("status").GetString() == "building");
            await WaitForAsync(() => Task.FromResult(ProcessTable.AnyRunning(build)));

            platform.KillHard();
            var killedAt = Stopwatch.StartNew();
            foreach (var pid in oldPids)
            {
                ProcessTable.IsRunning(pid).Should().BeTrue($"instance pid {pid} outlives the platform process");
            }
            await using var again = await PlatformProcess.StartAsync(dataDir, port);
            using var http = new HttpClient();
            string? version = null;
            while (killedAt.Elapsed < TimeSpan.FromSeconds(30) && version != "1")
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
                    request.Headers.Host = "phoenix.localhost";
                    using var response = await http.SendAsync(request);
                    version = response.Headers.TryGetValues("X-App-Version", out var v) ? v.First() : null;
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(100);
            }
            version.Should().Be("1", "the live version serves again after a platform crash");
            Console.WriteLine($"kill -9 of the platform to the first answer through the edge: {killedAt.Elapsed.TotalMilliseconds:F0} ms");

            var interrupted = await cli.DeploymentAsync(slowId!);
            interrupted.GetProperty("status").GetString().Should().Be("failed");
            interrupted.GetProperty("failedStep").GetString().Should().Be("building");
            var history = JsonDocument.Parse((await cli.RunAsync("deployments", "--app", "phoenix", "--json")).Out).RootElement;
            history.EnumerateArray().Select(d => d.GetProperty("status").GetString()).Should().Equal("failed", "live");

            (await ProcessTable.GoneAsync(build)).Should().BeTrue("the interrupted build's process tree is killed when the platform comes back");
            var after = await cli.StatusAsync("phoenix");
            after.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).Should()
                .BeEquivalentTo(oldPids, "the instances the killed platform started are adopted, not restarted");
            after.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("restarts").GetInt32()).Should().AllBeEquivalentTo(0);
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    [Fact]
    public async Task Output_written_while_no_platform_runs_is_kept_and_a_graceful_stop_leaves_the_apps_running()
    {
        var dataDir = TempDirs.Create("restart-logs");
        var port = Ports.Free();
        try
        {
            var app = TestApps.Copy("node-api", "1");
            TestApps.EditManifest(app, m =>
            {
                m["services"]!["web"]!["replicas"] = 1;
                m["services"]!["ticker"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["type"] = "worker",
                    ["start"] = "i=0; while true; do i=$((i+1)); echo \"tick $i\"; sleep 0.05; done",
                };
            });
            var platform = await PlatformProcess.StartAsync(dataDir, port);
            var cli = new CliRunner(dataDir);
            (await cli.RunAsync("deploy", app, "--app", "ticks")).ExitCode.Should().Be(0);
            var pids = Pids(await cli.StatusAsync("ticks"));

            // A crash, then (after a restart) a graceful stop: neither stops the apps.
            platform.KillHard();
            await Task.Delay(1500);
            var again = await PlatformProcess.StartAsync(dataDir, port);
            Pids(await cli.StatusAsync("ticks")).Should().BeEquivalentTo(pids, "a crash of the platform does not restart the apps");
            var web = (await cli.StatusAsync("ticks")).GetProperty("instances").EnumerateArray()
                .Single(i => i.GetProperty("service").GetString() == "web").GetProperty("pid").GetInt32();
            again.Terminate();
            // An instance that dies while no platform runs is replaced when one starts again, with an event saying so.
            ProcessGroups.Signal(web, ProcessGroups.SigKill);
            await Task.Delay(1000);
            await using var third = await PlatformProcess.StartAsync(dataDir, port);
            var now = Pids(await cli.StatusAsync("ticks"));
            now.Should().Contain(pids.Where(p => p != web), "nor does a stop and start of the platform");
            now.Should().NotContain(web).And.HaveCount(pids.Count);
            var events = await new Slipway.Cli.ApiClient(dataDir).GetAsync<List<Slipway.Api.EventDto>>("v1/apps/ticks/events", CancellationToken.None);
            events.Should().Contain(e => e.Kind == "instance.replaced" && e.Message.Contains($"pid {web}", StringComparison.Ordinal));
            await Task.Delay(500);

            var logs = await cli.RunAsync("logs", "--app", "ticks", "--service", "ticker", "--tail", "100000", "--json");
            logs.ExitCode.Should().Be(0, logs.ToString());
            var ticks = logs.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("m").GetString()!)
                .Where(m => m.StartsWith("tick ", StringComparison.Ordinal))
                .Select(m => int.Parse(m[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            ticks.Count.Should().BeGreaterThan(40, "the ticker ran for seconds");
            ticks.Should().Equal(Enumerable.Range(ticks[0], ticks.Count), "no line is lost across a crash and a restart of the platform");

            // Another process takes the messages port while no platform runs (no supervisor kept the socket): the
            // instances would send their messages, token and all, to it, so they are replaced with the new URL.
            third.Terminate();
            var messagesPort = int.Parse(File.ReadAllText(Path.Combine(dataDir, "messages.port")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, messagesPort);
            squatter.Start();
            await using var fourth = await PlatformProcess.StartAsync(dataDir, port);
            var replaced = new List<int>();
            await WaitForAsync(async () => (replaced = Pids(await cli.StatusAsync("ticks"))).Count == now.Count);
            replaced.Should().NotIntersectWith(now, "no instance is adopted with a messages URL another process holds");
            var environ = File.ReadAllText($"/proc/{replaced[0]}/environ").Split('\0');
            environ.Should().Contain(v => v.StartsWith("SLIPWAY_MESSAGES_URL=http://127.0.0.1:", StringComparison.Ordinal))
                .And.NotContain(v => v.StartsWith($"SLIPWAY_MESSAGES_URL=http://127.0.0.1:{messagesPort}/", StringComparison.Ordinal));
            events = await new Slipway.Cli.ApiClient(dataDir).GetAsync<List<Slipway.Api.EventDto>>("v1/apps/ticks/events", CancellationToken.None);
            events.Should().Contain(e => e.Kind == "instance.replaced" && e.Message.Contains($"the messages port {messagesPort} was taken", StringComparison.Ordinal));
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    private static List<int> Pids(JsonElement status) =>
        status.GetProperty("instances").EnumerateArray().Where(i => i.GetProperty("pid").ValueKind == JsonValueKind.Number)
            .Select(i => i.GetProperty("pid").GetInt32()).ToList();

    [Fact]
    public async Task A_restart_that_reaches_the_data_directory_by_another_path_keeps_every_build()
    {
        var real = TempDirs.Create("real");
        var alias = real + "-alias";
        Directory.CreateSymbolicLink(alias, real);
        var port = Ports.Free();
        try
        {
            await using (var first = await PlatformProcess.StartAsync(real, port))
            {
                (await new CliRunner(real).RunAsync("deploy", TestApps.Copy("node-api", "1"), "--app", "moved")).ExitCode.Should().Be(0);
            }
            await using var second = await PlatformProcess.StartAsync(alias, port);
            var cli = new CliRunner(alias);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            JsonElement status;
            do
            {
                await Task.Delay(200);
                status = await cli.StatusAsync("moved");
            }
            while (status.GetProperty("state").GetString() != "running" && DateTime.UtcNow < deadline);
            status.GetProperty("state").GetString().Should().Be("running");
            Directory.GetDirectories(Path.Combine(real, "builds", "moved")).Select(Path.GetFileName).Where(d => !d!.EndsWith(".src", StringComparison.Ordinal))
                .Should().HaveCount(1, "no build is taken for an orphan");
            Directory.GetDirectories(Path.Combine(real, "builds", "moved")).Should().HaveCount(2, "nor its kept source");
        }
        finally
        {
            File.Delete(alias);
            TempDirs.Delete(real);
        }
    }

    [Fact]
    public async Task An_app_whose_build_is_gone_comes_back_stopped_with_the_reason_not_starting_forever()
    {
        var dataDir = TempDirs.Create("restart-gone");
        var port = Ports.Free();
        try
        {
            await using (var first = await PlatformProcess.StartAsync(dataDir, port))
            {
                (await new CliRunner(dataDir).RunAsync("deploy", TestApps.Copy("node-api", "1"), "--app", "gone")).ExitCode.Should().Be(0);
            }
            foreach (var dir in Directory.GetDirectories(Path.Combine(dataDir, "builds", "gone")))
            {
                Directory.Delete(dir, recursive: true);
            }
            await using var again = await PlatformProcess.StartAsync(dataDir, port);
            using var http = new HttpClient();
            string body;
            var watch = Stopwatch.StartNew();
            do
            {
                await Task.Delay(100);
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
                request.Headers.Host = "gone.localhost";
                using var response = await http.SendAsync(request);
                body = await response.Content.ReadAsStringAsync();
            }
            while (body.Contains("is starting", StringComparison.Ordinal) && watch.Elapsed < TimeSpan.FromSeconds(20));
            body.Should().NotContain("is starting", "it will never start: its build is gone");
            (await new CliRunner(dataDir).RunAsync("status", "--app", "gone")).Out.Should().Contain("the build of live deployment").And.Contain("deploy again");
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
            await Task.Delay(100);
        }
    }
}
