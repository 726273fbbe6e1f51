using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>A worker that dies for good: its state, and the event that carries its last lines.</summary>
[Collection("platform-2")]
public sealed class CrashedWorkerTests
{
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
}
