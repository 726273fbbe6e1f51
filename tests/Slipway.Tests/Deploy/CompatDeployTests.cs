using System.Net;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>Apps that bring only the platform files they already had deploy as they are.</summary>
[Collection("platform")]
public sealed class CompatDeployTests
{
    [Fact]
    public async Task An_app_with_only_a_railway_json_deploys_with_its_health_check()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = TestApps.Copy("node-api", "5");
        File.Delete(Path.Combine(app, "slipway.json"));
        File.WriteAllText(Path.Combine(app, "railway.json"), """
            {
              "$schema": "https://railway.app/railway.schema.json",
              "build": { "builder": "NIXPACKS" },
              "deploy": { "startCommand": "node server.js", "healthcheckPath": "/health", "healthcheckTimeout": 30,
                          "restartPolicyType": "ON_FAILURE", "restartPolicyMaxRetries": 3 }
            }
            """);

        var convert = await platform.CliAsync("manifest", "convert", app);
        convert.ExitCode.Should().Be(0, convert.ToString());
        var converted = JsonDocument.Parse(convert.Out).RootElement;
        converted.GetProperty("services").EnumerateObject().Single().Value.GetProperty("healthcheck").GetProperty("path").GetString().Should().Be("/health");
        convert.Err.Should().Contain("builder", "an unsupported field is named, never silently dropped");

        var deploy = await platform.DeployAsync(app, "railway");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        deploy.Out.Should().Contain("converted from railway.json");
        (await platform.VersionAsync("railway")).Should().Be("5");
    }

    [Fact]
    public async Task An_app_with_only_a_vercel_json_deploys_as_a_static_site()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = TestApps.Copy("static-spa");
        File.Delete(Path.Combine(app, "slipway.json"));
        File.WriteAllText(Path.Combine(app, "vercel.json"), """
            { "buildCommand": "npm run build", "outputDirectory": "dist",
              "rewrites": [{ "source": "/(.*)", "destination": "/index.html" }] }
            """);

        var deploy = await platform.DeployAsync(app, "vercel");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        using var page = await platform.GetAsync("vercel", "/about");
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).Should().Contain("<!doctype html>");
    }
}
