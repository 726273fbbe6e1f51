using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>Day-two commands: logs, cancel, one deployment at a time, stop/start/restart/destroy, the API
/// token, and `up`/`down` as a new user runs them.</summary>
[Collection("platform")]
public sealed class OperationsTests
{
    [Fact]
    public async Task Logs_survive_redeploys_and_filter_by_time_and_service()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "logged")).ExitCode.Should().Be(0);
        using (await platform.GetAsync("logged", "/api/items?from=v1")) { }
        (await platform.DeployAsync(TestApps.Copy("node-api", "2"), "logged")).ExitCode.Should().Be(0);
        using (await platform.GetAsync("logged", "/api/items?from=v2")) { }

        var all = await platform.LogsContainingAsync("from=v2", "--app", "logged");
        all.ExitCode.Should().Be(0, all.ToString());
        all.Out.Should().Contain("from=v1", "lines of a replaced version are kept").And.Contain("from=v2");
        var recent = await platform.CliAsync("logs", "--app", "logged", "--since", "1ms");
        recent.Out.Should().NotContain("from=v1");
        var none = await platform.CliAsync("logs", "--app", "logged", "--service", "nope");
        none.Out.Trim().Should().BeEmpty();
        var bad = await platform.CliAsync("logs", "--app", "logged", "--since", "yesterday-ish");
        bad.ExitCode.Should().Be(1);
        bad.Err.Should().Contain("--since");

        // Following: a line written after the command started arrives while it runs.
        using var cts = new CancellationTokenSource();
        var output = new SyncWriter();
        var follow = Slipway.Cli.CliApp.RunAsync(["logs", "--app", "logged", "-f", "--tail", "0", "--data", platform.DataDir], output, output, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!output.Text.Contains("from=followed") && DateTime.UtcNow < deadline)
        {
            using (await platform.GetAsync("logged", "/api/items?from=followed")) { }
            await Task.Delay(200);
        }
        await cts.CancelAsync();
        await follow;
        output.Text.Should().Contain("from=followed").And.NotContain("from=v1", "--tail 0 starts with no stored lines");
        Directory.Exists(Path.Combine(platform.DataDir, "logs", "apps", "logged")).Should().BeTrue("logs live in the data directory, outside every build");
    }

    private sealed class SyncWriter : StringWriter
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_gate)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_second_deployment_waits_for_the_first_and_cancel_stops_a_running_one_leaving_the_live_version()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "queue")).ExitCode.Should().Be(0);
        var slow = TestApps.Copy("node-api", "2");
        TestApps.EditManifest(slow, m => m["services"]!["web"]!["build"] = "sleep 30");

        var first = JsonDocument.Parse((await platform.DeployAsync(slow, "queue", "--no-follow", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        var second = JsonDocument.Parse((await platform.DeployAsync(TestApps.Copy("node-api", "3"), "queue", "--no-follow", "--json")).Out).RootElement.GetProperty("id").GetString()!;
        var runner = new CliRunner(platform.DataDir);
        // Wait (bounded) until the first is really building: its build step, "sleep 30", is running.
        for (var i = 0; i < 300 && !ProcessTable.AnyRunning("sleep 30"); i++)
        {
            await Task.Delay(100);
        }
        (await runner.DeploymentAsync(first)).GetProperty("status").GetString().Should().Be("building");
        (await runner.DeploymentAsync(second)).GetProperty("status").GetString().Should().Be("queued", "one deployment per app at a time");

        var cancel = await platform.CliAsync("cancel", "--app", "queue");
        cancel.ExitCode.Should().Be(0, cancel.ToString());
        await platform.Engine.WaitAsync(first);
        await platform.Engine.WaitAsync(second);
        (await runner.DeploymentAsync(first)).GetProperty("status").GetString().Should().Be("cancelled");
        (await runner.DeploymentAsync(second)).GetProperty("status").GetString().Should().Be("cancelled");
        (await platform.VersionAsync("queue")).Should().Be("1");
        (await ProcessTable.GoneAsync("sleep 30")).Should().BeTrue("cancelling kills the build's process tree");
    }

    [Fact]
    public async Task Stop_start_restart_and_destroy_do_what_they_say()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "ops")).ExitCode.Should().Be(0);

        (await platform.CliAsync("stop", "--app", "ops")).ExitCode.Should().Be(0);
        using (var stopped = await platform.GetAsync("ops", "/", accept: "application/json"))
        {
            stopped.StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await stopped.Content.ReadAsStringAsync()).Should().Contain("\"status\":404");
        }
        JsonDocument.Parse((await platform.CliAsync("status", "--app", "ops", "--json")).Out).RootElement
            .GetProperty("state").GetString().Should().Be("stopped");

        (await platform.CliAsync("start", "--app", "ops")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("ops")).Should().Be("1");

        var before = Pids(await new CliRunner(platform.DataDir).StatusAsync("ops"));
        var restart = await platform.CliAsync("restart", "--app", "ops");
        restart.ExitCode.Should().Be(0, restart.ToString());
        var after = await new CliRunner(platform.DataDir).StatusAsync("ops");
        Pids(after).Should().HaveCount(2).And.NotIntersectWith(before, "a restart replaces every instance and keeps none warm");

        var destroy = await platform.CliAsync("destroy", "--app", "ops", "--yes");
        destroy.ExitCode.Should().Be(0, destroy.ToString());
        (await platform.CliAsync("status", "--app", "ops")).Err.Should().Contain("No app named 'ops'");
        Directory.Exists(Path.Combine(platform.DataDir, "builds", "ops")).Should().BeFalse();
        foreach (var pid in before)
        {
            ProcessTable.IsRunning(pid).Should().BeFalse();
        }
    }

    [Fact]
    public async Task Rollback_with_nothing_to_go_back_to_and_unknown_apps_give_clear_errors()
    {
        await using var platform = await TestPlatform.StartAsync();
        var none = await platform.CliAsync("rollback", "--app", "ghost");
        none.ExitCode.Should().Be(1);
        none.Err.Should().Contain("No app named 'ghost'").And.Contain("slipway deploy");
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "once")).ExitCode.Should().Be(0);
        var only = await platform.CliAsync("rollback", "--app", "once");
        only.ExitCode.Should().Be(1);
        only.Err.Should().Contain("nothing to roll back to");
        var badName = await platform.DeployAsync(TestApps.Copy("node-api", "1"), "Bad_Name");
        badName.ExitCode.Should().Be(1);
        badName.Err.Should().Contain("not a valid app name");
    }

    [Fact]
    public async Task A_worker_that_dies_for_good_is_marked_crashed_with_its_last_lines_as_an_event()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = TempDirs.Create("crashing");
        File.WriteAllText(Path.Combine(app, "server.js"),
            "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST);");
        File.WriteAllText(Path.Combine(app, "slipway.json"), """
            {
              "services": {
                "web": { "start": "node server.js" },
                "jobs": { "type": "worker", "start": "sleep 2; echo 'boom: lost the queue'; exit 3",
                          "restart": { "policy": "never" } }
              }
            }
            """);
        var deploy = await platform.DeployAsync(app, "crashing");
        deploy.ExitCode.Should().Be(0, deploy.ToString());

        var deadline = DateTime.UtcNow.AddSeconds(15);
        JsonElement status;
        do
        {
            await Task.Delay(250);
            status = await new CliRunner(platform.DataDir).StatusAsync("crashing");
        }
        while (status.GetProperty("state").GetString() != "degraded" && DateTime.UtcNow < deadline);
        status.GetProperty("state").GetString().Should().Be("degraded");
        status.GetProperty("instances").EnumerateArray().Single(i => i.GetProperty("service").GetString() == "jobs")
            .GetProperty("state").GetString().Should().Be("crashed");
        var text = await platform.CliAsync("status", "--app", "crashing");
        text.Out.Should().Contain("instance.crashed");
        using var api = new Slipway.Cli.ApiClient(platform.DataDir);
        var events = await api.GetAsync<JsonElement>("v1/apps/crashing/events", CancellationToken.None);
        events.EnumerateArray().Should().Contain(e => e.GetProperty("kind").GetString() == "instance.crashed" &&
            e.GetProperty("message").GetString()!.Contains("boom: lost the queue"));
    }

    [Fact]
    public async Task The_API_on_TCP_requires_the_bearer_token()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        using var http = new HttpClient();
        using var anonymous = await http.GetAsync($"http://localhost:{port}/v1/apps");
        anonymous.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var tokenFile = Path.Combine(platform.DataDir, "api-token");
        File.GetUnixFileMode(tokenFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://localhost:{port}/v1/apps");
        request.Headers.Authorization = new("Bearer", File.ReadAllText(tokenFile).Trim());
        using var authorized = await http.SendAsync(request);
        authorized.StatusCode.Should().Be(HttpStatusCode.OK);
        File.GetUnixFileMode(Path.Combine(platform.DataDir, "slipway.sock")).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task Up_starts_the_platform_in_the_background_and_deploys_and_down_stops_everything()
    {
        var dataDir = TempDirs.Create("up");
        var port = Ports.Free();
        var exe = Path.Combine(AppContext.BaseDirectory, "slipway");
        try
        {
            var up = await Run(exe, "up", TestApps.Example("node-api"), "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", dataDir);
            up.ExitCode.Should().Be(0, up.Output);
            up.Output.Should().Contain($"http://node-api.localhost:{port}");
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
            request.Headers.Host = "node-api.localhost";
            using var response = await http.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var status = JsonDocument.Parse((await Run(exe, "status", "--app", "node-api", "--json", "--data", dataDir)).Output).RootElement;
            var pids = Pids(status);

            var down = await Run(exe, "down", "--data", dataDir);
            down.ExitCode.Should().Be(0, down.Output);
            foreach (var pid in pids)
            {
                ProcessTable.IsRunning(pid).Should().BeFalse("down stops the apps with the platform");
            }
            (await Run(exe, "apps", "--data", dataDir)).Output.Should().Contain("not running").And.Contain("slipway up");
        }
        finally
        {
            await Run(exe, "down", "--data", dataDir);
            TempDirs.Delete(dataDir);
        }
    }

    private static List<int> Pids(JsonElement status) =>
        status.GetProperty("instances").EnumerateArray().Select(i => i.GetProperty("pid").GetInt32()).ToList();

    private static async Task<(int ExitCode, string Output)> Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        return (p.ExitCode, await stdout + await stderr);
    }
}
