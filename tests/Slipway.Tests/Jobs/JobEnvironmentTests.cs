using System.Text.Json.Nodes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>The release command is the app's too: it gets what instances get from Jobs/ (CRON_SECRET, the
/// messages API), e.g. to register the cron secret with a scheduler or publish a message after a migration.</summary>
[Collection("platform")]
public sealed class JobEnvironmentTests
{
    [Fact]
    public async Task The_release_command_gets_the_cron_secret_and_the_messages_api()
    {
        await using var platform = await TestPlatform.StartAsync();
        var dir = JobsApp.Create([]);
        var manifestPath = Path.Combine(dir, "slipway.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        manifest["services"]!["web"]!["release"] =
            "test -n \"$CRON_SECRET\" && test -n \"$SLIPWAY_MESSAGES_TOKEN\" && test -n \"$SLIPWAY_MESSAGES_SIGNING_KEY\" " +
            "&& case \"$SLIPWAY_MESSAGES_URL\" in http://127.0.0.1:*/v1/messages) echo release saw the jobs environment;; *) exit 7;; esac";
        File.WriteAllText(manifestPath, manifest.ToJsonString());

        var deploy = await platform.DeployAsync(dir, "releaser");

        deploy.ExitCode.Should().Be(0, "the release command found CRON_SECRET and the messages API: " + deploy);
        deploy.ToString().Should().Contain("release saw the jobs environment");
    }
}
