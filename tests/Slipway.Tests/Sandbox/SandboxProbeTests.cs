using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Sandbox;

/// <summary>What a compromised app can do, tried for real from inside a deployed one (<see cref="ProbeApp"/>): the
/// platform's files, other apps' builds, processes and ports, the API socket, the machine's pids and memory. The
/// platform's data directory is outside /tmp here, where a server keeps it, so hiding it is what is tested (a
/// sandbox's own /tmp would hide a directory under /tmp anyway).</summary>
[Collection("platform-3")]
public sealed class SandboxProbeTests
{
    [SandboxFact]
    public async Task From_inside_an_app_the_platforms_files_other_apps_and_their_processes_are_out_of_reach()
    {
        var data = OutsideTmp();
        try
        {
            await using var platform = await TestPlatform.StartAsync(dataDir: data);
            (await platform.DeployAsync(EnvApp.Create(), "other")).ExitCode.Should().Be(0);
            (await platform.DeployAsync(ProbeApp.Create(data), "probe")).ExitCode.Should().Be(0);
            var other = (await Instances(platform, "other"))[0];
            File.Exists(Path.Combine(data, "master.key")).Should().BeTrue("the platform has the files the app must not reach");
            File.Exists(Path.Combine(data, "slipway.db")).Should().BeTrue();

            var tries = await JsonAsync(platform, "probe", $"/try?pid={other.GetProperty("pid").GetInt32()}&port={other.GetProperty("port").GetInt32()}");

            tries.GetProperty("uid").GetInt32().Should().BeGreaterThanOrEqualTo(700_000_000, "the app runs as its environment's own user");
            foreach (var hidden in new[] { "masterKey", "apiToken", "database", "logs", "otherBuild", "otherEnviron" })
            {
                tries.GetProperty(hidden).GetString().Should().Be("ENOENT", $"{hidden} must not even be visible ({tries})");
            }
            tries.GetProperty("apiSocket").GetString().Should().Be("ENOENT");
            tries.GetProperty("signal").GetString().Should().Be("ESRCH", "another app's process is not in its process table");
            tries.GetProperty("processes").GetInt32().Should().BeLessThan(5, "it sees only its own processes");
            tries.GetProperty("otherPort").GetString().Should().Be("ECONNREFUSED", "another app's instance port refuses other apps' users");
            tries.GetProperty("ownBuild").GetString().Should().Be("EROFS", "the build is read-only to the app");
            tries.GetProperty("shadow").GetString().Should().Be("EACCES");

            (await platform.GetAsync("other")).StatusCode.Should().Be(HttpStatusCode.OK, "the other app keeps serving");
            (await platform.CliAsync("status", "--app", "other")).ExitCode.Should().Be(0, "the platform keeps serving");
            (await platform.CliAsync("doctor")).Out.Should().Contain("ok    app isolation: each app environment runs as its own user in a sandbox");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }

    [SandboxFact]
    public async Task A_fork_bomb_stops_at_the_pids_limit_and_a_memory_hog_is_killed_at_its_limit_reported_and_restarted()
    {
        await using var platform = await TestPlatform.StartAsync();
        var probe = ProbeApp.Create(platform.DataDir, resources: ", \"resources\": { \"memory\": \"160mb\", \"pids\": 48 }");
        (await platform.DeployAsync(probe, "probe")).ExitCode.Should().Be(0);

        var bomb = await JsonAsync(platform, "probe", "/forkbomb");
        bomb.GetProperty("started").GetInt32().Should().BeInRange(1, 47, bomb.ToString());
        bomb.GetProperty("refused").GetString().Should().Be("EAGAIN", "the kernel refuses processes past the limit");
        (await platform.GetAsync("probe")).StatusCode.Should().Be(HttpStatusCode.OK, "the app itself survives its fork bomb");

        (await platform.GetAsync("probe", "/hog")).StatusCode.Should().Be(HttpStatusCode.OK);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement instance;
        do
        {
            await Task.Delay(300);
            instance = (await Instances(platform, "probe"))[0];
        }
        while ((instance.GetProperty("oomKills").GetInt32() == 0 || instance.GetProperty("state").GetString() != "healthy") && DateTime.UtcNow < deadline);

        instance.GetProperty("oomKills").GetInt32().Should().Be(1, instance.ToString());
        instance.GetProperty("restarts").GetInt32().Should().Be(1, "an OOM kill is a failure the restart policy restarts");
        instance.GetProperty("memoryLimitBytes").GetInt64().Should().Be(160L << 20);
        instance.GetProperty("memoryBytes").GetInt64().Should().BePositive();
        var status = await platform.CliAsync("status", "--app", "probe");
        status.Out.Should().Contain("instance.oom").And.Contain("killed by the kernel for running out of memory (limit 160mb, peak")
            .And.Contain("/ 160mb").And.Contain("(1 oom)");
        (await platform.GetAsync("probe")).StatusCode.Should().Be(HttpStatusCode.OK, "it serves again after the restart");
    }

    [SandboxFact]
    public async Task A_volume_survives_a_deploy_and_a_rollback_nothing_else_written_does_and_each_version_brings_its_limits()
    {
        // No warm window: the rollback starts fresh instances, so nothing but the volume can carry the file over.
        await using var platform = await TestPlatform.StartAsync(warmWindow: TimeSpan.Zero);
        const string volume = "/data/uploads";
        (await platform.DeployAsync(ProbeApp.Create(platform.DataDir, Memory("200mb"), volume), "probe")).ExitCode.Should().Be(0);

        var written = await JsonAsync(platform, "probe", "/write?name=kept.txt");
        written.GetProperty("volume").GetString().Should().Be("written");
        written.GetProperty("tmp").GetString().Should().Be("written");
        written.GetProperty("build").GetString().Should().Be("EROFS");

        (await platform.DeployAsync(ProbeApp.Create(platform.DataDir, Memory("300mb"), volume), "probe")).ExitCode.Should().Be(0);
        var afterDeploy = await JsonAsync(platform, "probe", "/read?name=kept.txt");
        var limitAfterDeploy = (await Instances(platform, "probe"))[0].GetProperty("memoryLimitBytes").GetInt64();
        (await platform.CliAsync("rollback", "--app", "probe")).ExitCode.Should().Be(0);
        var afterRollback = await JsonAsync(platform, "probe", "/read?name=kept.txt");
        var limitAfterRollback = (await Instances(platform, "probe"))[0].GetProperty("memoryLimitBytes").GetInt64();

        limitAfterDeploy.Should().Be(300L << 20, "a deploy's limits apply to its own instances");
        limitAfterRollback.Should().Be(200L << 20, "a rollback brings its own");

        afterDeploy.GetProperty("volume").GetBoolean().Should().BeTrue("a volume survives a deploy");
        afterDeploy.GetProperty("tmp").GetBoolean().Should().BeFalse("everything else an app writes is gone at its next deploy");
        afterRollback.GetProperty("volume").GetBoolean().Should().BeTrue("and a rollback");
        afterRollback.GetProperty("tmp").GetBoolean().Should().BeFalse();
        var listed = await platform.CliAsync("volumes", "ls", "--app", "probe");
        listed.Out.Should().Contain("uploads").And.Contain("/data/uploads").And.Contain("quota: not enforced");
        var json = JsonDocument.Parse((await platform.CliAsync("volumes", "ls", "--app", "probe", "--json")).Out).RootElement[0];
        json.GetProperty("bytes").GetInt64().Should().Be(1, "the one file of one byte");
        (await platform.CliAsync("status", "--app", "probe")).Out.Should().Contain("volumes 1 B");
        var refused = await platform.CliAsync("volumes", "rm", "--app", "probe", "uploads");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("mounted at /data/uploads by the live deployment");
    }

    [SandboxFact]
    public async Task A_link_the_build_leaves_where_a_volume_is_mounted_fails_the_deploy_and_the_platform_makes_nothing_where_it_points()
    {
        var outside = OutsideTmp();
        try
        {
            await using var platform = await TestPlatform.StartAsync();
            var app = EnvApp.Create(build: $"ln -s {outside} data");
            TestApps.EditManifest(app, manifest => manifest["volumes"] = new System.Text.Json.Nodes.JsonObject { ["uploads"] = "data/uploads" });

            var deploy = await platform.DeployAsync(app, "linked");

            deploy.ExitCode.Should().NotBe(0);
            (deploy.Out + deploy.Err).Should().Contain("volumes.uploads: the build has a symbolic link at \"data\"");
            Directory.Exists(Path.Combine(outside, "uploads")).Should().BeFalse("the platform (root) must not create directories where the app's link points");
            Directory.EnumerateFileSystemEntries(outside).Should().BeEmpty();
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(outside)!, recursive: true);
        }
    }

    [SandboxTheory]
    [InlineData("127.0.0.1")]
    [InlineData("::ffff:0.0.0.0")]
    public async Task An_app_that_binds_another_apps_instance_port_first_gets_no_health_verdict_and_no_traffic(string address)
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(SquatterApp(), "squatter")).ExitCode.Should().Be(0);
        // The victim waits until something else listens on its $PORT (the squatter, as a malicious app racing the
        // platform's port choice would, however slowly this machine runs the test) and then never listens itself:
        // what answers the health check is only ever the squatter, until the start timeout fails the deploy.
        var victim = EnvApp.Create();
        File.WriteAllText(Path.Combine(victim, "wait-taken.js"), """
            const net = require('net');
            const deadline = Date.now() + 60000;
            (function attempt() {
              const s = net.connect({ host: '127.0.0.1', port: Number(process.env.PORT) });
              s.on('connect', () => { s.destroy(); process.exit(0); });
              s.on('error', () => { if (Date.now() > deadline) process.exit(1); setTimeout(attempt, 100); });
            })();
            """);
        TestApps.EditManifest(victim, manifest =>
        {
            var web = manifest["services"]!["web"]!;
            web["start"] = "node wait-taken.js && exec sleep 600";
            web["replicas"] = 1;
            web["healthcheck"] = new System.Text.Json.Nodes.JsonObject { ["path"] = "/", ["startTimeout"] = "10s" };
        });
        var deploy = platform.DeployAsync(victim, "victim");
        var port = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (port == 0 && DateTime.UtcNow < deadline && !deploy.IsCompleted)
        {
            await Task.Delay(100);
            var status = await platform.CliAsync("status", "--app", "victim", "--json");
            if (status.ExitCode == 0 && JsonDocument.Parse(status.Out).RootElement.TryGetProperty("instances", out var instances))
            {
                port = instances.EnumerateArray().Where(i => i.GetProperty("role").GetString() == "new")
                    .Select(i => i.TryGetProperty("port", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : 0).FirstOrDefault(p => p > 0);
            }
        }
        port.Should().BePositive("`status` shows the new version's instance, and its port, while it starts");
        var squat = await JsonAsync(platform, "squatter", $"/squat?port={port}&address={Uri.EscapeDataString(address)}");
        squat.GetProperty("listening").GetBoolean().Should().BeTrue(squat.ToString());

        var result = await deploy;

        result.ExitCode.Should().NotBe(0, "what answered on the port is another app: it must not pass the gate");
        var logs = await platform.LogsContainingAsync("held by a process of another user", "--app", "victim");
        logs.Out.Should().Contain($"port {port} is held by a process of another user (uid ", logs.Out);
        using var response = await platform.GetAsync("victim");
        (await response.Content.ReadAsStringAsync()).Should().NotContain("squatted", "the edge never routes to the squatter");
        (await JsonAsync(platform, "squatter", "/hits")).GetProperty("health").GetInt32().Should().BePositive("the squatter did answer the probe, and was refused anyway");
    }

    /// <summary>An app that, asked to, listens on a port it was not given and answers every request 200.</summary>
    private static string SquatterApp()
    {
        var dir = TempDirs.Create("squatter");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            const http = require('http');
            let health = 0;
            const squat = (req, res) => { if (req.headers['user-agent'] === 'slipway-health/1') health++; res.end('squatted'); };
            http.createServer((req, res) => {
              const url = new URL(req.url, 'http://x');
              if (url.pathname === '/squat') {
                const s = http.createServer(squat);
                s.on('error', (e) => res.end(JSON.stringify({ listening: false, error: e.code })));
                s.listen(Number(url.searchParams.get('port')), url.searchParams.get('address'), () => res.end(JSON.stringify({ listening: true })));
                return;
              }
              if (url.pathname === '/hits') { res.end(JSON.stringify({ health })); return; }
              res.end('ok');
            }).listen(process.env.PORT, process.env.HOST);
            """);
        File.WriteAllText(Path.Combine(dir, "slipway.json"), "{ \"services\": { \"web\": { \"start\": \"node server.js\" } } }");
        return dir;
    }

    private static string Memory(string size) => $", \"resources\": {{ \"memory\": \"{size}\" }}";

    /// <summary>DATA under a parent only root may enter (0700, as mktemp makes them): the app's user must still reach
    /// its own build below it.</summary>
    private static string OutsideTmp()
    {
        var parent = Path.Combine("/var/tmp", "slipway-tests", "platform-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var dir = Path.Combine(parent, "data");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static async Task<List<JsonElement>> Instances(TestPlatform platform, string app)
    {
        var status = await platform.CliAsync("status", "--app", app, "--json");
        return JsonDocument.Parse(status.Out).RootElement.GetProperty("instances").EnumerateArray().ToList();
    }

    private static async Task<JsonElement> JsonAsync(TestPlatform platform, string app, string path)
    {
        using var response = await platform.GetAsync(app, path);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
