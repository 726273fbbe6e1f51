using Slipway.Manifests;
using Slipway.Manifests.Compat;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>What converters make of commands: railway.json's cronSchedule and healthcheckTimeout, and build commands
/// that start with the install Slipway runs anyway.</summary>
public sealed class ConverterCommandTests : IDisposable
{
    private const string PackageJson = """{ "scripts": { "start": "node server.js", "build": "tsc" } }""";
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Railway_cron_schedule_becomes_a_command_job_running_the_start_command_in_the_service()
    {
        _source.File("package.json", PackageJson).File("railway.json", """
            { "deploy": { "cronSchedule": "*/15 * * * *", "startCommand": "node jobs/sync.js" } }
            """);

        var result = LoadOk(_source);

        result.Spec.Crons.Should().ContainSingle().Which.Should().Be(new CronSpec
        {
            Name = "web", Schedule = "*/15 * * * *", Command = "node jobs/sync.js", Service = "web", Missed = CronMissed.Skip,
        });
        var web = result.Spec.Services.Should().ContainSingle().Subject;
        (web.Name, web.Type, web.Start).Should().Be(("web", ServiceType.Worker, RailwayConverter.Idle),
            "Railway runs a cron service only at the scheduled times, so its start command must not run all the time");
        result.Warnings.Should().ContainSingle().Which.Should().StartWith("railway.json: deploy.cronSchedule: became the cron job \"web\"");
    }

    [Fact]
    public void Railway_cron_schedule_without_a_start_command_runs_the_detected_one_and_drops_the_healthcheck()
    {
        _source.File("package.json", PackageJson).File("railway.json", """
            { "deploy": { "cronSchedule": "0 * * * *", "healthcheckPath": "/health", "healthcheckTimeout": 30 } }
            """);

        var result = LoadOk(_source);

        result.Spec.Crons.Should().ContainSingle().Which.Command.Should().Be("npm start");
        result.Warnings.Should().Contain([
            "railway.json: deploy.healthcheckPath is not supported and was ignored; a cron service gets no traffic, so there is nothing to check",
            "railway.json: deploy.healthcheckTimeout is not supported and was ignored; a cron service gets no traffic, so there is nothing to check",
        ]);
    }

    [Fact]
    public void Railway_healthcheck_timeout_in_seconds_becomes_the_start_timeout()
    {
        _source.File("package.json", PackageJson).File("railway.json", """{ "deploy": { "healthcheckTimeout": 300 } }""");

        var web = LoadOk(_source).Spec.Services.Should().ContainSingle().Subject;

        web.Healthcheck.StartTimeout.Should().Be(TimeSpan.FromMinutes(5));
        web.Healthcheck.Timeout.Should().Be(new HealthcheckSpec().Timeout, "Railway's timeout is how long the service may take to become healthy");
    }

    [Theory]
    [InlineData("npm ci && npm run build", "npm ci", "npm run build")]
    [InlineData("npm install", "npm install", null)]
    [InlineData("npm ci --omit=dev&&npm run build && npm prune", "npm ci --omit=dev", "npm run build && npm prune")]
    [InlineData("yarn install --frozen-lockfile && yarn build", "yarn install --frozen-lockfile", "yarn build")]
    [InlineData("yarn && yarn build", "yarn", "yarn build")]
    [InlineData("pnpm install && pnpm run build", "pnpm install", "pnpm run build")]
    public void An_install_at_the_start_of_a_railway_build_command_runs_once_as_the_install(string buildCommand, string install,
        string? build)
    {
        _source.File("package.json", PackageJson).File("package-lock.json", "{}")
            .File("railway.json", $$"""{ "build": { "buildCommand": "{{buildCommand}}" } }""");

        var result = LoadOk(_source);

        var web = result.Spec.Services.Should().ContainSingle().Subject;
        (web.Install, web.Build).Should().Be((install, build));
        result.Warnings.Should().BeEmpty();
    }

    [Theory]
    [InlineData("npm run build")]
    [InlineData("npm install left-pad && npm run build")]
    [InlineData("npm ci || true")]
    [InlineData("npm run clean && npm ci")]
    public void A_build_command_that_does_not_start_with_the_plain_install_is_kept(string buildCommand)
    {
        _source.File("package.json", PackageJson).File("railway.json", $$"""{ "build": { "buildCommand": "{{buildCommand}}" } }""");

        var web = LoadOk(_source).Spec.Services.Should().ContainSingle().Subject;

        (web.Install, web.Build).Should().Be(("npm install", buildCommand));
    }

    [Fact]
    public void An_install_in_a_vercel_build_command_is_left_out_when_install_command_is_declared()
    {
        _source.File("package.json", """{ "scripts": { "build": "vite build" }, "devDependencies": { "vite": "5" } }""")
            .File("vercel.json", """{ "buildCommand": "npm ci && vite build", "installCommand": "npm install", "outputDirectory": "dist" }""");

        var result = LoadOk(_source);

        var web = result.Spec.Services.Should().ContainSingle().Subject;
        (web.Install, web.Build).Should().Be(("npm install", "vite build"));
        result.Warnings.Should().Equal("vercel.json: buildCommand: starts with \"npm ci\", which the install command (\"npm install\") " +
                                       "does before the build already; Slipway leaves it out of the build so it runs once");
    }

    [Fact]
    public void Render_builds_starting_with_an_install_install_once_and_the_cron_in_that_build_needs_no_warning()
    {
        _source.File("package.json", PackageJson).File("render.yaml", """
            services:
              - { type: web, name: api, buildCommand: npm install && npm run build, startCommand: npm start }
              - { type: cron, name: rollup, schedule: "0 * * * *", buildCommand: npm install && npm run build, startCommand: node rollup.js }
            """);

        var converted = (ConversionResult.Converted)ManifestConverter.Convert(_source.Dir)!;
        var web = LoadOk(_source).Spec.Services.Should().ContainSingle().Subject;

        (web.Install, web.Build).Should().Be(("npm install", "npm run build"));
        converted.Warnings.Should().BeEmpty();
    }
}
