using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Cli;

/// <summary>Every error says what happened and what to do: a failed deploy names its cause (a start crash with
/// the app's last lines, a port mismatch, a missing database), and commands given a wrong name or a masked
/// secret exit non-zero with the way out.</summary>
[Collection("platform")]
public sealed class ErrorWayOutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_failed_deploy_names_its_cause_a_start_crash_a_port_mismatch_and_a_missing_database()
    {
        await using var platform = await TestPlatform.StartAsync();

        var crash = App("""
            console.error('config error: STRIPE_KEY is not set');
            process.exit(1);
            """);
        var crashed = await platform.DeployAsync(crash, "crashy");
        crashed.ExitCode.Should().Be(1);
        crashed.ToString().Should().Contain("before becoming healthy").And.Contain("| config error: STRIPE_KEY is not set", "the deploy error carries the crash's last lines");

        // A hard-coded port: the check cannot connect, and the error says where the app listens instead.
        var elsewhere = App("""
            require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
            """, """{ "path": "/", "startTimeout": "6s" }""");
        var mismatch = await platform.DeployAsync(elsewhere, "elsewhere");
        mismatch.ExitCode.Should().Be(1);
        mismatch.Err.Should().MatchRegex(@"nothing listens on port \d+ \(\$PORT\); the app listens on \d+ instead: have it listen on the PORT environment variable");

        // Migrations against the driver's default (127.0.0.1:5432) while the app has no database. The hint is about
        // 5432 itself, so on a machine where something listens there this part cannot run: it says so and stops.
        using (var probe = new TcpClient())
        {
            if (await Task.WhenAny(probe.ConnectAsync(IPAddress.Loopback, 5432), Task.Delay(1000)) is { IsCompletedSuccessfully: true })
            {
                output.WriteLine("SKIPPED the missing-database part: something listens on 127.0.0.1:5432 on this machine, " +
                    "and the hint it checks is given only when nothing does (as on a fresh machine)");
                return;
            }
        }
        var migrate = App("require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT, process.env.HOST);");
        File.WriteAllText(Path.Combine(migrate, "migrate.js"), """
            const socket = require('net').connect(5432, '127.0.0.1');
            socket.on('connect', () => { console.log('connected'); process.exit(0); });
            socket.on('error', e => { console.error('migration failed: ' + e.message); process.exit(1); });
            """);
        TestApps.EditManifest(migrate, m => m["services"]!["web"]!["release"] = "node migrate.js");
        var released = await platform.DeployAsync(migrate, "nodb");
        released.ExitCode.Should().Be(1);
        released.ToString().Should().Contain("| migration failed: connect ECONNREFUSED 127.0.0.1:5432")
            .And.Contain("the app has no DATABASE_URL: 'slipway db create --app nodb' gives it a database");

        // With a DATABASE_URL of its own the failure is the database's, and no hint sends the user to create one.
        (await platform.CliAsync("env", "set", "--app", "nodb", "--secret", "--no-deploy", "DATABASE_URL=postgres://u:p@127.0.0.1:5432/app")).ExitCode.Should().Be(0);
        var withUrl = await platform.DeployAsync(migrate, "nodb");
        withUrl.ExitCode.Should().Be(1);
        withUrl.ToString().Should().Contain("ECONNREFUSED").And.NotContain("slipway db create");

        // The same at start: an app that connects to its database before listening crashes with the hint.
        var crashing = App("""
            const socket = require('net').connect(5432, '127.0.0.1');
            socket.on('error', e => { console.error('startup failed: ' + e.message); process.exit(1); });
            """);
        var started = await platform.DeployAsync(crashing, "nodbstart");
        started.ExitCode.Should().Be(1);
        started.ToString().Should().Contain("| startup failed: connect ECONNREFUSED 127.0.0.1:5432")
            .And.Contain("the app has no DATABASE_URL: 'slipway db create --app nodbstart' gives it a database");
    }

    [Fact]
    public async Task Commands_given_a_wrong_name_or_a_masked_secret_exit_non_zero_with_the_way_out()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.CliAsync("env", "set", "--app", "shop", "--create", "--secret", "--no-deploy", "TOKEN=tok-123456789")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "shop")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "shop", "--env", "staging")).ExitCode.Should().Be(0);

        var masked = await platform.CliAsync("env", "get", "TOKEN", "--app", "shop");
        masked.ExitCode.Should().Be(1, "a script reading the value must not carry on with the mask");
        masked.Out.Should().BeEmpty();
        masked.Err.Should().Contain("TOKEN is a secret").And.Contain("env get TOKEN --app shop --reveal");
        var revealed = await platform.CliAsync("env", "get", "TOKEN", "--app", "shop", "--reveal");
        revealed.ExitCode.Should().Be(0);
        revealed.Out.Trim().Should().Be("tok-123456789");

        var service = await platform.CliAsync("logs", "--app", "shop", "--service", "wbe");
        service.ExitCode.Should().Be(1, "a filter naming no service would show nothing, as if the service were quiet");
        service.Err.Should().Contain("No service 'wbe' in shop. Did you mean --service web? Its services: web.");

        var environment = await platform.CliAsync("env", "ls", "--app", "shop", "--env", "stagin");
        environment.ExitCode.Should().Be(1);
        environment.Err.Should().Contain("shop has no environment 'stagin'. Did you mean --env staging? Its environments: production, staging.");
        foreach (var command in new[] { new[] { "status" }, ["logs"], ["deployments"], ["rollback"], ["hosts", "ls"], ["restart"], ["stop"], ["cron", "ls"] })
        {
            var typed = await platform.CliAsync([.. command, "--app", "shop", "--env", "stagin"]);
            typed.ExitCode.Should().Be(1, string.Join(" ", command));
            typed.Err.Should().Contain("shop has no environment 'stagin'. Did you mean --env staging?", string.Join(" ", command))
                .And.NotContain("shop-stagin", "the internal row name is never shown");
        }
        // A mistyped target creates nothing: promote needs --create for a new environment, db create for a new app.
        var promote = await platform.CliAsync("promote", "--app", "shop", "--from", "staging", "--to", "stagin");
        promote.ExitCode.Should().Be(1);
        promote.Err.Should().Contain("shop has no environment 'stagin'. Did you mean --env staging?")
            .And.Contain("slipway promote --app shop --from staging --to stagin --create");
        var database = await platform.CliAsync("db", "create", "--app", "shpo");
        database.ExitCode.Should().Be(1);
        database.Err.Should().Contain("No app named 'shpo'. Did you mean 'shop'?").And.Contain("slipway db create --app shpo --create");
        (await platform.CliAsync("apps", "--json")).Out.Should().NotContain("\"stagin\"").And.NotContain("shop-stagin\"").And.NotContain("shpo");
        var app = await platform.CliAsync("status", "--app", "shpo");
        app.ExitCode.Should().Be(1);
        app.Err.Should().Contain("No app named 'shpo'. Did you mean 'shop'?");

        // The access log prints what its help says: time, service, then the request as key=value.
        using (await platform.GetAsync("shop", "/env/NOPE"))
        {
        }
        var access = await platform.LogsContainingAsync("path=/env/NOPE", "--app", "shop", "--access");
        access.Out.Should().MatchRegex(@"(?m)^\d{4}-\d\d-\d\dT[\d:.]+Z web method=GET path=/env/NOPE status=404 ms=[\d.]+ ");
        (await platform.CliAsync("logs", "--help")).Out.Should().Contain("method, path (no query string), status, ms");

        // --json speaks the manifest's spellings, never .NET enum names.
        var status = JsonDocument.Parse((await platform.CliAsync("status", "--app", "shop", "--json")).Out).RootElement;
        status.GetProperty("instances")[0].GetProperty("state").GetString().Should().Be("healthy");
        status.GetProperty("live").GetProperty("status").GetString().Should().Be("live");
        status.GetProperty("live").GetProperty("kind").GetString().Should().Be("deploy");
    }

    /// <summary>A Node app whose server.js is <paramref name="server"/>, with an optional healthcheck block.</summary>
    private static string App(string server, string? healthcheck = null)
    {
        var dir = TempDirs.Create("wayout");
        File.WriteAllText(Path.Combine(dir, "server.js"), server);
        File.WriteAllText(Path.Combine(dir, "slipway.json"),
            "{ \"services\": { \"web\": { \"start\": \"node server.js\"" + (healthcheck is null ? "" : ", \"healthcheck\": " + healthcheck) + " } } }");
        return dir;
    }
}
