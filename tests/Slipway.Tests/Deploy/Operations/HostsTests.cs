using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>Hostnames are kept unless removed on purpose: --host only adds, a deploy without it and a rollback
/// keep them, `hosts rm` removes one and the edge stops routing it at once; one added while the app stops is parked with it.</summary>
[Collection("platform-2")]
public sealed class HostsTests
{
    private static async Task<string> AtAsync(TestPlatform platform, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/");
        request.Headers.Host = host;
        using var response = await platform.Http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK ? response.Headers.GetValues("X-App-Version").Single() : $"status {(int)response.StatusCode}";
    }

    [Fact]
    public async Task A_custom_host_survives_deploys_without_host_and_rollbacks_and_goes_only_with_hosts_rm()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(TestApps.Copy("node-api", "1"), "hosted", "--host", "shop.example.test")).ExitCode.Should().Be(0);
        (await AtAsync(platform, "shop.example.test")).Should().Be("1");

        var second = await platform.DeployAsync(TestApps.Copy("node-api", "2"), "hosted");
        second.ExitCode.Should().Be(0, second.ToString());
        (await AtAsync(platform, "shop.example.test")).Should().Be("2", "a deploy without --host keeps the app's hostnames");

        var apps = JsonDocument.Parse((await platform.CliAsync("apps", "--json")).Out).RootElement.EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "hosted");
        apps.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()).Should().Equal("hosted.localhost", "shop.example.test");
        (await platform.CliAsync("apps")).Out.Should().Contain("hosted.localhost,shop.example.test");

        (await platform.CliAsync("rollback", "--app", "hosted")).ExitCode.Should().Be(0);
        (await AtAsync(platform, "shop.example.test")).Should().Be("1", "a rollback keeps the hostnames too");

        var add = await platform.CliAsync("hosts", "add", "--app", "hosted", "www.example.test");
        add.ExitCode.Should().Be(0, add.ToString());
        (await AtAsync(platform, "www.example.test")).Should().Be("1", "an added hostname is routed at once");
        var ls = JsonDocument.Parse((await platform.CliAsync("hosts", "ls", "--app", "hosted", "--json")).Out).RootElement.EnumerateArray()
            .Select(h => h.GetProperty("host").GetString()).ToList();
        ls.Should().Equal("hosted.localhost", "shop.example.test", "www.example.test");

        var rm = await platform.CliAsync("hosts", "rm", "--app", "hosted", "shop.example.test");
        rm.ExitCode.Should().Be(0, rm.ToString());
        (await AtAsync(platform, "shop.example.test")).Should().Be("status 404", "the edge stops routing a removed hostname at once");
        (await AtAsync(platform, "www.example.test")).Should().Be("1");
        (await platform.VersionAsync("hosted")).Should().Be("1");

        var own = await platform.CliAsync("hosts", "rm", "--app", "hosted", "hosted.localhost");
        own.ExitCode.Should().Be(1);
        own.Err.Should().Contain("the app's own hostname");
        var unknown = await platform.CliAsync("hosts", "rm", "--app", "hosted", "shop.example.test");
        unknown.ExitCode.Should().Be(1);
        unknown.Err.Should().Contain("shop.example.test is not a hostname of hosted").And.Contain("www.example.test");

        // Removed on purpose, the hostname is free for another app.
        var other = await platform.DeployAsync(TestApps.Copy("node-api", "3"), "other", "--host", "shop.example.test");
        other.ExitCode.Should().Be(0, other.ToString());
        (await AtAsync(platform, "shop.example.test")).Should().Be("3");
    }

    [Fact]
    public async Task Stop_racing_hosts_add_leaves_the_app_stopped_and_every_added_host_recorded_and_answering_stopped()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(SlowToStopApp(), "racy")).ExitCode.Should().Be(0);
        var runner = new CliRunner(platform.DataDir);
        var added = new List<string>();
        for (var round = 0; round < 2; round++)
        {
            if (round > 0)
            {
                (await platform.CliAsync("start", "--app", "racy")).ExitCode.Should().Be(0);
            }
            var pids = StatusPids.Of(await runner.StatusAsync("racy"));
            pids.Should().NotBeEmpty();

            // The stop parks the app, then gives its instance 1 s to exit: `hosts add` one after another in that window.
            var stop = platform.CliAsync("stop", "--app", "racy");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (await AnswerAsync(platform, "racy.localhost") != Stopped && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }
            stop.IsCompleted.Should().BeFalse("the instance takes 1 s to exit after the stop parked the app");
            do
            {
                var host = $"r{round}-{added.Count}.example.test";
                var add = await platform.CliAsync("hosts", "add", "--app", "racy", host);
                add.ExitCode.Should().Be(0, add.ToString());
                added.Add(host);
                (await AnswerAsync(platform, host)).Should().Be(Stopped, "a host added while the app stops is parked with it, never routed at its instance");
            }
            while (!stop.IsCompleted);

            (await stop).ExitCode.Should().Be(0, (await stop).ToString());
            (await runner.StatusAsync("racy")).GetProperty("state").GetString().Should().Be("stopped");
            pids.Should().OnlyContain(pid => !ProcessTable.IsRunning(pid), "a stop stops every instance");
            foreach (var host in added.Prepend("racy.localhost"))
            {
                (await AnswerAsync(platform, host)).Should().Be(Stopped, $"{host} belongs to a stopped app: never routed at a stopped instance");
            }
        }
        var recorded = JsonDocument.Parse((await platform.CliAsync("hosts", "ls", "--app", "racy", "--json")).Out).RootElement.EnumerateArray()
            .Select(h => h.GetProperty("host").GetString()).ToList();
        recorded.Should().Equal(added.Prepend("racy.localhost"), "every hostname added is recorded, whenever it came");
    }

    private const string Stopped = "503 racy is stopped (slipway start --app racy).";

    /// <summary>A web service that takes 1 s to exit after SIGTERM, so a stop is still stopping it for a while
    /// after it parked the app.</summary>
    private static string SlowToStopApp()
    {
        var dir = TempDirs.Create("slowstop");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST);
            process.on('SIGTERM', () => setTimeout(() => process.exit(0), 1000));
            """);
        File.WriteAllText(Path.Combine(dir, "slipway.json"),
            """{ "services": { "web": { "start": "node server.js" } }, "deploy": { "stopTimeout": "5s" } }""");
        return dir;
    }

    /// <summary>Status and problem detail of the edge's answer at <paramref name="host"/>.</summary>
    private static async Task<string> AnswerAsync(TestPlatform platform, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/");
        request.Headers.Host = host;
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await platform.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var detail = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            ? JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()
            : body;
        return $"{(int)response.StatusCode} {detail}";
    }
}
