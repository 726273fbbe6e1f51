using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Monitoring.Alerts;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>The sources as the platform registers them, over a real platform's state: an app whose worker crashed
/// for good, then a deployment of it that fails its health check.</summary>
[Collection("platform")]
public sealed class AlertSourcesPlatformTests
{
    private const string Server = "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST);";

    [Fact]
    public async Task The_registered_sources_see_a_crashed_worker_and_a_failed_deployment()
    {
        await using var platform = await TestPlatform.StartAsync();
        var sources = platform.Services.GetServices<IAlertSource>().ToList();
        var rules = sources.SelectMany(s => s.Rules).ToList();
        rules.Select(r => r.Name).Should().BeEquivalentTo(
            ["deploy-failed", "crash-loop", "oom-kill", "error-rate", "latency", "backup", "cron-failed", "dead-messages", "certificate", "disk", "uptime",
             "error-new", "error-regression", "error-spike", "offsite"]);
        rules.Should().OnlyContain(r => r.Description.Length > 0 && r.Defaults.Severity != null);
        Evaluate(sources).Should().BeEmpty("nothing is deployed");

        var app = TempDirs.Create("alerting");
        File.WriteAllText(Path.Combine(app, "server.js"), Server);
        // Up long enough to pass a worker's start (1.5 s), then down for good.
        File.WriteAllText(Path.Combine(app, "worker.js"), "setTimeout(() => { console.log('lost the queue'); process.exit(3); }, 1700);");
        Manifest(app, "node server.js");
        var deployed = await platform.DeployAsync(app, "alerting");
        deployed.ExitCode.Should().Be(0, deployed.ToString());

        var deadline = DateTime.UtcNow.AddSeconds(15);
        IReadOnlyList<AlertSignal> signals;
        while ((signals = Evaluate(sources)).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        signals.Select(s => (s.Rule, s.Subject, s.App, s.Title)).Should().Equal(
            ("crash-loop", "jobs", "alerting", "alerting: jobs crashed (replica 1 crashed and is not restarted)"));

        Manifest(app, "node -e 'process.exit(1)'");
        var failed = await platform.DeployAsync(app, "alerting");
        failed.ExitCode.Should().Be(1, failed.ToString());

        Evaluate(sources).Select(s => (s.Rule, s.Subject.Split(':')[0], s.App)).Should().BeEquivalentTo(
            [("deploy-failed", "deploy", "alerting"), ("crash-loop", "jobs", "alerting")],
            "the live deployment's worker is still the crashed one");
    }

    private static List<AlertSignal> Evaluate(List<IAlertSource> sources)
    {
        var context = SourceHarness.Context(DateTimeOffset.UtcNow, sources);
        // A nearly full disk on the test machine is not what this test is about.
        return sources.SelectMany(s => s.Evaluate(context, CancellationToken.None)).Where(s => s.Rule != "disk").ToList();
    }

    private static void Manifest(string dir, string web)
    {
        var manifest = new JsonObject
        {
            ["services"] = new JsonObject
            {
                ["web"] = new JsonObject { ["start"] = web },
                ["jobs"] = new JsonObject { ["type"] = "worker", ["start"] = "exec node worker.js", ["restart"] = new JsonObject { ["policy"] = "never" } },
            },
        };
        File.WriteAllText(Path.Combine(dir, "slipway.json"), manifest.ToJsonString());
    }
}
