using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Access;

/// <summary>Row keys join app and environment with "-", so shop's environment "api" and the app "shop-api" name the
/// same key. Found by the access review: a token of shop reached shop-api's secrets and stop through ?env=api.</summary>
[Collection("platform")]
public sealed class ScopeCollisionTests
{
    [Fact]
    public async Task An_admin_of_shop_cannot_reach_the_app_shop_api_through_an_environment_named_api()
    {
        var port = Ports.Free();
        await using var platform = await TestPlatform.StartAsync(apiPort: port);
        var set = await platform.CliAsync("env", "set", "--app", "shop-api", "--create", "--secret", "--no-deploy", "DB_PASSWORD=hunter2");
        set.ExitCode.Should().Be(0, set.ToString());
        var created = await platform.CliAsync("tokens", "create", "--name", "t", "--app", "shop", "--role", "admin", "--json");
        created.ExitCode.Should().Be(0, created.ToString());
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            JsonDocument.Parse(created.Out).RootElement.GetProperty("token").GetString());

        using var direct = await http.GetAsync("v1/apps/shop-api/config?reveal=true");
        using var viaEnv = await http.GetAsync("v1/apps/shop/config?env=api&reveal=true");
        using var stop = await http.PostAsync("v1/apps/shop/stop?env=api", null);
        using var destroy = await http.DeleteAsync("v1/apps/shop?env=api");

        direct.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var body = await viaEnv.Content.ReadAsStringAsync();
        viaEnv.StatusCode.Should().Be(HttpStatusCode.NotFound, body);
        body.Should().NotContain("hunter2");
        stop.StatusCode.Should().Be(HttpStatusCode.NotFound);
        destroy.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await platform.CliAsync("env", "get", "--app", "shop-api", "DB_PASSWORD", "--reveal")).Out.Trim().Should().Be("hunter2", "shop-api is untouched");
        var audit = JsonDocument.Parse((await platform.CliAsync("audit", "--app", "shop-api", "--json")).Out).RootElement.EnumerateArray().ToList();
        audit.Should().Contain(e => e.GetProperty("action").GetString() == "config.reveal" && e.GetProperty("outcome").GetString() == "ok",
            "reading a secret is in the audit log like a change");
    }
}
