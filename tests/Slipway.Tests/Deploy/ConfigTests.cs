using System.Text;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform-2")]
public sealed class ConfigTests
{
    private const string Tricky = "p@$$w0rd $HOME `whoami` \"double\" 'single' \\back slash\nsecond line ünïcödé 🚀 %PATH% ${X:-y}";

    [Fact]
    public async Task A_config_change_is_a_new_release_with_no_failed_request_and_values_arrive_byte_for_byte()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(EnvApp.Create(), "cfg")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "cfg", "VERSION_TAG=a")).ExitCode.Should().Be(0);

        await using var load = new LoadLoop(platform.EdgePort, "cfg");
        var set = await platform.CliAsync("env", "set", "--app", "cfg", "VERSION_TAG=b", "TRICKY=" + Tricky);
        await load.StopAsync();

        set.ExitCode.Should().Be(0, set.ToString());
        set.Out.Should().Contain("is live");
        load.Failures.Should().BeEmpty();
        load.Results.Select(r => r.Version).Should().Contain("a").And.Contain("b");
        using var tricky = await platform.GetAsync("cfg", "/env/TRICKY");
        Encoding.UTF8.GetString(await tricky.Content.ReadAsByteArrayAsync()).Should().Be(Tricky);
        (await platform.CliAsync("env", "get", "--app", "cfg", "TRICKY")).Out.Should().Be(Tricky + Environment.NewLine);

        var history = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "cfg", "--json")).Out).RootElement;
        history[0].GetProperty("kind").GetString().Should().Be("config");
    }

    [Fact]
    public async Task Rollback_brings_back_the_config_the_old_release_ran_with()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.CliAsync("env", "set", "--app", "back", "--create", "VERSION_TAG=one")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(EnvApp.Create(), "back")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("back")).Should().Be("one");
        (await platform.CliAsync("env", "set", "--app", "back", "VERSION_TAG=two")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("back")).Should().Be("two");

        (await platform.CliAsync("rollback", "--app", "back")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("back")).Should().Be("one");
    }

    [Fact]
    public async Task Secrets_are_masked_encrypted_on_disk_kept_from_builds_and_redacted_from_every_log()
    {
        var secret = "sk_live_" + Guid.NewGuid().ToString("N");
        await using var platform = await TestPlatform.StartAsync();
        (await platform.CliAsync("env", "set", "--app", "vault", "--create", "--secret", "API_KEY=" + secret)).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "vault", "PUBLIC_NAME=vault-demo")).ExitCode.Should().Be(0);
        var app = EnvApp.Create(build: "echo build sees [${API_KEY:-no secret}] [$PUBLIC_NAME]");
        var deploy = await platform.DeployAsync(app, "vault");
        deploy.ExitCode.Should().Be(0, deploy.ToString());
        deploy.Out.Should().Contain("build sees [no secret] [vault-demo]", "builds get plain config, never secrets");

        using (var fromApp = await platform.GetAsync("vault", "/env/API_KEY"))
        {
            (await fromApp.Content.ReadAsStringAsync()).Should().Be(secret, "the app itself gets the secret");
        }
        using (await platform.GetAsync("vault", "/dump")) { }
        var logs = await platform.LogsContainingAsync("[secret API_KEY]", "--app", "vault");

        var ls = await platform.CliAsync("env", "ls", "--app", "vault");
        ls.Out.Should().Contain("API_KEY").And.Contain("********").And.NotContain(secret).And.Contain("vault-demo");
        (await platform.CliAsync("env", "get", "--app", "vault", "API_KEY")).Out.Should().NotContain(secret);
        (await platform.CliAsync("env", "get", "--app", "vault", "API_KEY", "--reveal")).Out.Trim().Should().Be(secret);

        logs.Out.Should().Contain("[secret API_KEY]", "the app printed its environment").And.NotContain(secret);

        // Nothing under the data directory holds the secret in the clear: not the database, not a log.
        foreach (var file in Directory.EnumerateFiles(platform.DataDir, "*", SearchOption.AllDirectories))
        {
            // Sockets and the instances' output pipes (DATA/run) are not files: reading a pipe waits for its writer, and what
            // passes through it never reaches the disk unredacted (the log store redacts as it stores).
            if (file.EndsWith(".sock", StringComparison.Ordinal) || file.EndsWith("slipway.lock", StringComparison.Ordinal) ||
                file.StartsWith(Path.Combine(platform.DataDir, "run") + "/", StringComparison.Ordinal))
            {
                continue;
            }
            var bytes = await File.ReadAllBytesAsync(file);
            Encoding.UTF8.GetString(bytes).Contains(secret, StringComparison.Ordinal).Should().BeFalse($"{file} must not contain the secret");
        }
    }

    [Fact]
    public async Task Import_then_diff_then_pull_round_trips_a_dotenv_file()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.DeployAsync(EnvApp.Create(), "dotenv")).ExitCode.Should().Be(0);
        var dir = TempDirs.Create("dotenv");
        var source = Path.Combine(dir, "source.env");
        File.WriteAllText(source, "GREETING=\"hello\\nworld\"\nPRICE='$5 off'\nexport MODE=fast # comment\n");

        var import = await platform.CliAsync("env", "import", source, "--app", "dotenv", "--no-deploy");
        import.ExitCode.Should().Be(0, import.ToString());
        var diff = await platform.CliAsync("env", "diff", "--app", "dotenv");
        diff.Out.Should().Contain("+ GREETING").And.Contain("+ PRICE $5 off").And.Contain("+ MODE fast");

        (await platform.CliAsync("env", "set", "--app", "dotenv", "--secret", "TOKEN=s3cr3t-value")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "diff", "--app", "dotenv")).Out.Trim().Should().Be("The live deployment runs with exactly the saved config.");
        using (var price = await platform.GetAsync("dotenv", "/env/PRICE"))
        {
            (await price.Content.ReadAsStringAsync()).Should().Be("$5 off");
        }

        var pulled = Path.Combine(dir, "pulled.env");
        (await platform.CliAsync("env", "pull", "--app", "dotenv", "--file", pulled)).ExitCode.Should().Be(0);
        File.ReadAllText(pulled).Should().NotContain("s3cr3t-value", "secrets need --reveal");
        File.GetUnixFileMode(pulled).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await platform.CliAsync("env", "pull", "--app", "dotenv", "--file", pulled)).ExitCode.Should().Be(1, "no silent overwrite");
        (await platform.CliAsync("env", "pull", "--app", "dotenv", "--file", pulled, "--reveal", "--force")).ExitCode.Should().Be(0);
        var (values, problems) = Slipway.Config.DotEnv.Parse(File.ReadAllText(pulled));
        problems.Should().BeEmpty();
        values.Should().Contain("GREETING", "hello\nworld").And.Contain("PRICE", "$5 off").And.Contain("MODE", "fast").And.Contain("TOKEN", "s3cr3t-value");
    }

    [Fact]
    public async Task Bad_names_are_refused_with_the_reason()
    {
        await using var platform = await TestPlatform.StartAsync();
        var bad = await platform.CliAsync("env", "set", "--app", "names", "--create", "PORT=1", "1X=2", "OK=3");
        bad.ExitCode.Should().Be(1);
        bad.Err.Should().Contain("PORT is set by Slipway").And.Contain("'1X' is not a valid variable name");
        (await platform.CliAsync("env", "ls", "--app", "names", "--json")).Out.Should().NotContain("OK", "a refused change is applied not at all");
        var noEquals = await platform.CliAsync("env", "set", "--app", "names", "JUSTANAME");
        noEquals.ExitCode.Should().Be(1);
        noEquals.Err.Should().Contain("is not NAME=value");
    }
}

[Collection("platform")]
public sealed class ConfigSchemaDeployTests
{
    [Fact]
    public async Task A_deploy_whose_config_breaks_the_declared_variables_is_refused_before_building_and_deploys_nothing()
    {
        await using var platform = await TestPlatform.StartAsync();
        var app = EnvApp.Create(build: "echo BUILD RAN");
        File.WriteAllText(Path.Combine(app, "slipway.json"), """
            {
              "services": { "web": { "start": "node server.js", "build": "echo BUILD RAN" } },
              "variables": {
                "DATABASE_URL": { "type": "url", "secret": true, "description": "Postgres connection" },
                "JWT_SECRET": { "secret": true, "minLength": 32 },
                "NODE_ENV": { "type": "enum", "values": ["production", "development"], "default": "production" }
              }
            }
            """);
        (await platform.CliAsync("env", "set", "--app", "typed", "--create", "--secret", "JWT_SECRET=short")).ExitCode.Should().Be(0);

        var refused = await platform.DeployAsync(app, "typed");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("2 problems").And.Contain("slipway env set --app typed --secret DATABASE_URL=")
            .And.Contain("JWT_SECRET: its value is 5 characters, at least 32 needed").And.NotContain("short\"");
        refused.Out.Should().NotContain("BUILD RAN");
        (await platform.CliAsync("deployments", "--app", "typed", "--json")).Out.Trim().Should().Be("[]", "nothing was deployed");

        (await platform.CliAsync("env", "set", "--app", "typed", "--secret", "DATABASE_URL=postgres://u:p@db/app", "JWT_SECRET=" + new string('k', 32))).ExitCode.Should().Be(0);
        var deployed = await platform.DeployAsync(app, "typed");
        deployed.ExitCode.Should().Be(0, deployed.ToString());
        using var nodeEnv = await platform.GetAsync("typed", "/env/NODE_ENV");
        (await nodeEnv.Content.ReadAsStringAsync()).Should().Be("production", "a declared default fills in");

        var example = await platform.CliAsync("env", "example", app);
        example.ExitCode.Should().Be(0, example.ToString());
        var text = File.ReadAllText(Path.Combine(app, ".env.example"));
        text.Should().Contain("# DATABASE_URL: Postgres connection (url, required, secret)").And.Contain("DATABASE_URL=\n")
            .And.Contain("NODE_ENV='production'").And.NotContain("postgres://");
    }

    [Fact]
    public async Task A_secret_that_a_build_would_inline_into_the_browser_is_refused()
    {
        await using var platform = await TestPlatform.StartAsync();
        var refused = await platform.CliAsync("env", "set", "--app", "spa", "--create", "--secret", "VITE_STRIPE_SECRET=sk_live_x");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("VITE_STRIPE_SECRET cannot be a secret").And.Contain("browser bundle");
        (await platform.CliAsync("env", "set", "--app", "spa", "--create", "VITE_API_URL=https://api.example")).ExitCode.Should().Be(0);
    }
}
