using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Databases;
using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

[Collection("platform-2")]
public sealed class RedisTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestPlatform Platform => fixture.Platform;

    [Fact]
    public async Task A_declared_redis_runs_per_environment_with_a_password_and_its_data_survives_a_restart_of_the_server()
    {
        var app = EnvApp.Create();
        TestApps.EditManifest(app, json => json["databases"] = JsonNode.Parse("""{ "cache": { "type": "redis", "maxMemory": "32mb" } }"""));
        var deploy = await Platform.DeployAsync(app, "kv");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        deploy.Out.Should().Contain("creating redis database cache (REDIS_URL)");

        var url = new Uri(await fixture.GetOkAsync("kv", "/env/REDIS_URL"));
        url.Host.Should().Be("127.0.0.1");
        (await Platform.CliAsync("db", "url", "--app", "kv", "--name", "cache")).Out.Trim().Should().Be(url.ToString().TrimEnd('/'));
        var password = Uri.UnescapeDataString(url.UserInfo.TrimStart(':'));
        password.Should().HaveLength(32);

        (await RespClient.CommandsAsync(url.Port, [["GET", "k"]], CancellationToken.None)).Single().Should().StartWith("ERR:NOAUTH");
        (await RespClient.CommandsAsync(url.Port, [["AUTH", password], ["SET", "k", "kept"], ["INFO", "memory"]], CancellationToken.None))
            .Should().SatisfyRespectively(
                auth => auth.Should().Be("OK"),
                set => set.Should().Be("OK"),
                info => info.Should().Contain("maxmemory:33554432"));

        // Its size and connections in the metrics, from INFO (the platform's own connection counts as one).
        using (var meter = new MeterReadings("slipway.database.", new Dictionary<string, string> { ["app"] = "kv", ["database"] = "cache", ["type"] = "redis" }))
        {
            var readings = await meter.ReadAsync("slipway.database.size", "slipway.database.connections");
            readings.Should().ContainKey("slipway.database.size").WhoseValue.Should().BeGreaterThan(100_000, "used_memory of a running redis");
            readings.Should().ContainKey("slipway.database.connections").WhoseValue.Should().BeGreaterThanOrEqualTo(1);
        }

        var servers = Platform.Services.GetRequiredService<RedisServers>();
        var record = Platform.Services.GetRequiredService<DatabaseStore>().Find("kv", "cache")!;
        var pid = servers.Pid(record.Id)!.Value;
        Slipway.Runtime.ProcessGroups.SignalProcess(pid, Slipway.Runtime.ProcessGroups.SigTerm);
        (await DatabaseFixture.EventuallyAsync(async () =>
            servers.Pid(record.Id) is { } again && again != pid && await RedisServers.PingAsync(url.Port, password, CancellationToken.None),
            TimeSpan.FromSeconds(30))).Should().BeTrue("Slipway restarts the server on the same port");
        (await RespClient.CommandsAsync(url.Port, [["AUTH", password], ["GET", "k"]], CancellationToken.None))[1].Should().Be("kept");

        // Another environment gets its own server and password.
        (await Platform.DeployAsync(app, "kv", "--env", "staging")).ExitCode.Should().Be(0);
        var staging = new Uri(await fixture.GetOkAsync("kv-staging", "/env/REDIS_URL"));
        staging.Port.Should().NotBe(url.Port);
        staging.UserInfo.Should().NotBe(url.UserInfo);

        (await Platform.CliAsync("destroy", "--app", "kv", "--env", "staging", "--yes")).ExitCode.Should().Be(0);
        (await RedisServers.PingAsync(staging.Port, Uri.UnescapeDataString(staging.UserInfo.TrimStart(':')), CancellationToken.None)).Should().BeFalse();
    }
}
