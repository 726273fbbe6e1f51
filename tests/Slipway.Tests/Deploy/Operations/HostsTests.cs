using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy.Operations;

/// <summary>Hostnames are kept unless removed on purpose: --host only adds, a deploy without it and a rollback
/// keep them, `hosts rm` removes one and the edge stops routing it at once.</summary>
[Collection("platform")]
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
}
