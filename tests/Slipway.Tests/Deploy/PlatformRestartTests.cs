using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform")]
public sealed class PlatformRestartTests
{
    [Fact]
    public async Task After_SIGKILL_of_the_platform_a_restart_serves_the_live_version_and_fails_the_interrupted_deployment()
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
            var restartedAt = Stopwatch.StartNew();
            await using var again = await PlatformProcess.StartAsync(dataDir, port);
            using var http = new HttpClient();
            string? version = null;
            while (restartedAt.Elapsed < TimeSpan.FromSeconds(30) && version != "1")
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
            version.Should().Be("1", "the live version comes back after a platform crash");

            var interrupted = await cli.DeploymentAsync(slowId!);
            interrupted.GetProperty("status").GetString().Should().Be("failed");
            interrupted.GetProperty("failedStep").GetString().Should().Be("building");
            var history = JsonDocument.Parse((await cli.RunAsync("deployments", "--app", "phoenix", "--json")).Out).RootElement;
            history.EnumerateArray().Select(d => d.GetProperty("status").GetString()).Should().Equal("failed", "live");

            foreach (var pid in oldPids)
            {
                ProcessTable.IsRunning(pid).Should().BeFalse($"instance pid {pid} of the killed platform is cleaned up, not left holding its port");
            }
            (await ProcessTable.GoneAsync(build)).Should().BeTrue("the interrupted build's process tree is killed when the platform comes back");
            var after = await cli.StatusAsync("phoenix");
            after.GetProperty("instances").EnumerateArray().Should().HaveCount(2);
        }
        finally
        {
            TempDirs.Delete(dataDir);
        }
    }

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
