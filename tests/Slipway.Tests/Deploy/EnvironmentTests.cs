using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform-2")]
public sealed class EnvironmentTests
{
    [Fact]
    public async Task Staging_is_its_own_environment_and_promote_ships_its_exact_build_with_productions_config()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.CliAsync("env", "set", "--app", "shop", "--create", "--shared", "GREETING=hello")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "shop", "--env", "staging", "--create", "VERSION_TAG=staging-config")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "shop", "VERSION_TAG=production-config")).ExitCode.Should().Be(0);

        var staged = await platform.DeployAsync(EnvApp.Create(), "shop", "--env", "staging");
        staged.ExitCode.Should().Be(0, staged.ToString());
        staged.Out.Should().Contain("http://shop-staging.localhost");
        (await platform.VersionAsync("shop-staging")).Should().Be("staging-config");
        using (var shared = await platform.GetAsync("shop-staging", "/env/GREETING"))
        {
            (await shared.Content.ReadAsStringAsync()).Should().Be("hello", "shared variables reach every environment");
        }
        using (var none = await platform.GetAsync("shop"))
        {
            ((int)none.StatusCode).Should().Be(404, "production has not been deployed");
        }

        var promote = await platform.CliAsync("promote", "--app", "shop", "--from", "staging", "--to", "production");
        promote.ExitCode.Should().Be(0, promote.ToString());
        promote.Out.Should().Contain("promoting build");
        (await platform.VersionAsync("shop")).Should().Be("production-config");
        (await platform.VersionAsync("shop-staging")).Should().Be("staging-config");

        var stagingHistory = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "shop", "--env", "staging", "--json")).Out).RootElement;
        var productionHistory = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "shop", "--json")).Out).RootElement;
        productionHistory.GetArrayLength().Should().Be(1);
        productionHistory[0].GetProperty("kind").GetString().Should().Be("promote");
        productionHistory[0].GetProperty("rollbackOf").GetString().Should().Be(stagingHistory[0].GetProperty("id").GetString());
        var builds = Path.Combine(platform.DataDir, "builds");
        Directory.Exists(Path.Combine(builds, "shop")).Should().BeFalse("promote reuses staging's build: nothing was rebuilt");

        var apps = await platform.CliAsync("apps");
        apps.Out.Should().Contain("staging").And.Contain("production");

        // A new environment's config is checked against the manifest before its first deploy, and the fix
        // commands name the environment.
        var typed = EnvApp.Create();
        File.WriteAllText(Path.Combine(typed, "slipway.json"),
            "{ \"services\": { \"web\": { \"start\": \"node server.js\" } }, \"variables\": { \"API_URL\": { \"type\": \"url\" } } }");
        var refused = await platform.DeployAsync(typed, "shop", "--env", "qa");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("slipway env set --app shop --env qa API_URL=");

        var clash = await platform.DeployAsync(EnvApp.Create(), "shop-staging");
        clash.ExitCode.Should().Be(1);
        clash.Err.Should().Contain("staging environment of app shop");
    }

    [Fact]
    public async Task Changing_a_build_time_variable_rebuilds_the_same_source_instead_of_restarting()
    {
        await using var platform = await TestPlatform.StartAsync();
        var site = TempDirs.Create("banner");
        File.WriteAllText(Path.Combine(site, "slipway.json"), """
            { "services": { "site": { "type": "static", "build": "mkdir -p out && printf %s \"$VITE_BANNER\" > out/banner.txt", "output": "out" } } }
            """);
        (await platform.CliAsync("env", "set", "--app", "banner", "--create", "VITE_BANNER=first $ale")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(site, "banner")).ExitCode.Should().Be(0);
        File.WriteAllText(Path.Combine(site, "slipway.json"), "{ \"broken\": true }"); // the rebuild must not read the working tree again

        var change = await platform.CliAsync("env", "set", "--app", "banner", "VITE_BANNER=second");
        change.ExitCode.Should().Be(0, change.ToString());
        change.Out.Should().Contain("VITE_BANNER changed and the build uses it: rebuilding");
        using var banner = await platform.GetAsync("banner", "/banner.txt");
        (await banner.Content.ReadAsStringAsync()).Should().Be("second");

        (await platform.CliAsync("rollback", "--app", "banner")).ExitCode.Should().Be(0);
        using var back = await platform.GetAsync("banner", "/banner.txt");
        (await back.Content.ReadAsStringAsync()).Should().Be("first $ale", "rollback brings back the old build and its config");
    }

    [Fact]
    public async Task A_shared_secret_is_redacted_in_an_environment_created_after_it()
    {
        await using var platform = await TestPlatform.StartAsync();
        var secret = "shared-" + Guid.NewGuid().ToString("N");
        (await platform.CliAsync("env", "set", "--app", "later", "--create", "--shared", "--secret", "DB_PASSWORD=" + secret)).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "later", "--env", "staging")).ExitCode.Should().Be(0);
        using (await platform.GetAsync("later-staging", "/dump")) { }

        var logs = await platform.LogsContainingAsync("DB_PASSWORD", "--app", "later", "--env", "staging");
        logs.Out.Should().Contain("[secret DB_PASSWORD]").And.NotContain(secret);
    }

    [Fact]
    public async Task Promote_rebuilds_when_the_target_has_other_build_time_values_and_a_promoted_build_outlives_nothing_it_needs()
    {
        await using var platform = await TestPlatform.StartAsync();
        var site = TempDirs.Create("promo");
        File.WriteAllText(Path.Combine(site, "slipway.json"), """
            { "services": { "site": { "type": "static", "build": "mkdir -p out && printf %s \"$VITE_API\" > out/api.txt", "output": "out" } } }
            """);
        (await platform.CliAsync("env", "set", "--app", "promo", "--env", "staging", "--create", "VITE_API=https://staging-api")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "promo", "--create", "VITE_API=https://api")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "promo", "--env", "qa", "--create", "QA_ONLY=1")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(site, "promo", "--env", "staging")).ExitCode.Should().Be(0);

        var promote = await platform.CliAsync("promote", "--app", "promo", "--from", "staging");
        promote.ExitCode.Should().Be(0, promote.ToString());
        promote.Out.Should().Contain("VITE_API differ in production and are built into the bundle");
        using (var api = await platform.GetAsync("promo", "/api.txt"))
        {
            (await api.Content.ReadAsStringAsync()).Should().Be("https://api", "production's bundle points at production's API");
        }

        // A build promoted as is stays while production runs it.
        (await platform.CliAsync("env", "set", "--app", "promo", "--env", "staging", "VITE_API=https://api")).ExitCode.Should().Be(0);
        (await platform.CliAsync("promote", "--app", "promo", "--from", "staging")).ExitCode.Should().Be(0);
        var destroy = await platform.CliAsync("destroy", "--app", "promo", "--env", "staging", "--yes");
        destroy.ExitCode.Should().Be(1);
        destroy.Err.Should().Contain("promo production runs a build of promo-staging");

        // Destroying one environment leaves the others' config alone.
        (await platform.DeployAsync(site, "promo", "--env", "qa")).ExitCode.Should().Be(0);
        (await platform.CliAsync("destroy", "--app", "promo", "--env", "qa", "--yes")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "get", "--app", "promo", "VITE_API")).Out.Trim().Should().Be("https://api");
    }
}
