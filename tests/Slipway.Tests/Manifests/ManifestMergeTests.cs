using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>A slipway.json beside another platform's file is laid over the file's conversion: it adds what the
/// file cannot say, and a key set differently in both is an error naming both files.</summary>
public sealed class ManifestMergeTests : IDisposable
{
    private const string PackageJson = """{ "scripts": { "start": "node server.js", "build": "tsc" } }""";

    private const string RailwayJson = """
        {
          "build": { "buildCommand": "npm run build" },
          "deploy": { "startCommand": "npm run serve", "preDeployCommand": "npm run migrate", "healthcheckTimeout": 60 }
        }
        """;

    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Slipway_json_adds_a_database_healthcheck_and_cron_to_a_railway_app_keeping_its_commands()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson).Manifest("""
            {
              // only what railway.json cannot say
              "services": { "web": { "healthcheck": { "path": "/healthz" } } },
              "databases": { "main": { "type": "postgres" } },
              "crons": [{ "name": "nightly", "schedule": "0 3 * * *", "command": "node jobs/nightly.js" }],
            }
            """);

        var result = LoadOk(_source);

        result.Spec.Origin.Should().Be("slipway.json + railway.json");
        var web = result.Spec.Services.Should().ContainSingle().Subject;
        (web.Name, web.Build, web.Start, web.Release).Should().Be(("web", "npm run build", "npm run serve", "npm run migrate"));
        web.Install.Should().Be("npm install", "neither file declares one, so it is detected as before");
        web.Healthcheck.Path.Should().Be("/healthz");
        web.Healthcheck.StartTimeout.Should().Be(TimeSpan.FromSeconds(60), "railway.json's healthcheckTimeout is kept beside the path");
        result.Spec.Databases.Should().ContainSingle().Which.Name.Should().Be("main");
        result.Spec.Crons.Should().ContainSingle().Which.Command.Should().Be("node jobs/nightly.js");
    }

    [Fact]
    public void A_key_set_differently_in_both_files_is_an_error_naming_both_files_and_each_ones_own_key()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson)
            .Manifest("""{ "services": { "web": { "start": "node server.js" } } }""");

        var invalid = LoadInvalid(_source);

        invalid.Subject.Should().Be("slipway.json + railway.json");
        invalid.Errors.Should().ContainSingle().Which.ToString().Should().Be(
            "services.web.start: set in both railway.json deploy.startCommand (\"npm run serve\") and slipway.json services.web.start " +
            "(\"node server.js\"); keep it in one of them");
    }

    /// <summary>Every converter records, for each value it writes, the key and value in its own file; a conflict quotes
    /// them, since that is what the team wrote and will look for.</summary>
    [Theory]
    [InlineData("render.yaml", "services:\n  - { type: web, name: api, startCommand: npm start }\n",
        """{ "services": { "api": { "start": "node api.js" } } }""",
        "services.api.start", "render.yaml services[0].startCommand (\"npm start\")")]
    [InlineData("render.yaml", "services:\n  - { type: web, name: api, startCommand: npm start }\n  - { type: cron, name: Nightly Sync, schedule: 0 3 * * *, startCommand: node sync.js }\n",
        """{ "crons": [{ "name": "nightly-sync", "command": "node jobs/sync.js" }] }""",
        "crons[\"nightly-sync\"].command", "render.yaml services[1].startCommand (\"node sync.js\")")]
    [InlineData("Procfile", "web: npm start\nworker: node worker.js\n",
        """{ "services": { "worker": { "start": "node queue.js" } } }""",
        "services.worker.start", "Procfile worker (\"node worker.js\")")]
    [InlineData("vercel.json", """{ "outputDirectory": ".", "cleanUrls": true }""",
        """{ "routes": { "cleanUrls": false } }""",
        "routes.cleanUrls", "vercel.json cleanUrls (true)")]
    [InlineData("railway.json", """{ "deploy": { "restartPolicyType": "ON_FAILURE" } }""",
        """{ "services": { "web": { "restart": { "policy": "always" } } } }""",
        "services.web.restart.policy", "railway.json deploy.restartPolicyType (\"ON_FAILURE\", converted to \"on-failure\")")]
    [InlineData("railway.json", """{ "deploy": { "startCommand": "node sync.js", "cronSchedule": "0 * * * *" } }""",
        """{ "crons": [{ "name": "web", "schedule": "30 * * * *" }] }""",
        "crons[\"web\"].schedule", "railway.json deploy.cronSchedule (\"0 * * * *\")")]
    [InlineData("railway.json", """{ "build": { "buildCommand": "npm ci && npm run build" } }""",
        """{ "services": { "web": { "build": "npm run compile" } } }""",
        "services.web.build", "railway.json build.buildCommand (\"npm ci && npm run build\", converted to \"npm run build\")")]
    public void A_conflict_quotes_the_other_files_own_key_and_value(string file, string content, string manifest, string path,
        string theirs)
    {
        _source.File("package.json", PackageJson).File("index.html", "<h1>hi</h1>").File(file, content).Manifest(manifest);

        var conflict = LoadInvalid(_source).SingleErrorAt(path);

        conflict.Message.Should().StartWith($"set in both {theirs} and slipway.json {path} (");
    }

    [Fact]
    public void A_conflict_with_app_json_names_app_json_and_its_key_beside_the_procfile()
    {
        _source.File("package.json", PackageJson).File("Procfile", "web: npm start\n")
            .File("app.json", """{ "formation": { "web": { "quantity": 2 } }, "scripts": { "predeploy": "npm run migrate" } }""")
            .Manifest("""{ "services": { "web": { "replicas": 3, "release": "npm run seed" } } }""");

        var invalid = LoadInvalid(_source);

        invalid.Subject.Should().Be("slipway.json + app.json + Procfile");
        invalid.SingleErrorAt("services.web.replicas").Message.Should()
            .Be("set in both app.json formation.web.quantity (2) and slipway.json services.web.replicas (3); keep it in one of them");
        invalid.SingleErrorAt("services.web.release").Message.Should().StartWith("set in both app.json scripts.predeploy (\"npm run migrate\")");
    }

    [Fact]
    public void Every_conflict_is_reported_with_the_other_errors_in_one_go()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson).Manifest("""
            {
              "services": { "web": { "start": "node server.js", "replicas": 0, "healthcheck": { "startTimeout": "1m" } } },
              "databases": { "main": { "type": "mysql" } }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.Errors.Select(error => error.Path).Should().BeEquivalentTo(
            "services.web.start", "services.web.healthcheck.startTimeout", "services.web.replicas", "databases.main.type");
        invalid.SingleErrorAt("services.web.healthcheck.startTimeout").Message.Should()
            .Be("set in both railway.json deploy.healthcheckTimeout (60, converted to \"60s\") and slipway.json " +
                "services.web.healthcheck.startTimeout (\"1m\"); keep it in one of them");
    }

    [Fact]
    public void The_same_value_in_both_files_is_not_a_conflict()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson).Manifest("""
            { "services": { "web": { "start": "npm run serve", "build": "npm run build", "healthcheck": { "startTimeout": "60s" } } } }
            """);

        var spec = LoadOk(_source).Spec;

        spec.Origin.Should().Be("slipway.json + railway.json");
        var web = spec.Services.Should().ContainSingle().Subject;
        (web.Start, web.Build, web.Healthcheck.StartTimeout).Should().Be(("npm run serve", "npm run build", TimeSpan.FromSeconds(60)));
        web.Release.Should().Be("npm run migrate", "set in railway.json only");
    }

    [Fact]
    public void A_service_slipway_json_names_differently_is_added_beside_the_converted_one()
    {
        _source.File("package.json", PackageJson).File("Procfile", "web: npm start\n")
            .Manifest("""{ "services": { "mailer": { "type": "worker", "start": "node mailer.js" } } }""");

        var spec = LoadOk(_source).Spec;

        spec.Origin.Should().Be("slipway.json + Procfile");
        spec.Services.Select(service => (service.Name, service.Start)).Should().Equal(("web", "npm start"), ("mailer", "node mailer.js"));
    }

    [Fact]
    public async Task Services_the_other_file_adds_beside_slipway_jsons_own_are_a_warning_naming_them_and_the_file()
    {
        _source.File("package.json", PackageJson).File("Procfile", "web: npm start\nworker: node worker.js\n")
            .File("app.json", """{ "formation": { "web": { "quantity": 2 } } }""")
            .Manifest("""{ "services": { "mailer": { "type": "worker", "start": "node mailer.js" } } }""");

        var result = LoadOk(_source);

        result.Spec.Services.Select(service => service.Name).Should().Equal("web", "worker", "mailer");
        result.Warnings.Should().Equal(
            "services: Procfile also declares services \"web\", \"worker\", which slipway.json does not name; Slipway deploys " +
            "them too. If slipway.json is meant to be the whole manifest, add \"otherFiles\": \"ignore\" to it");

        using var output = new StringWriter();
        (await Slipway.Cli.CliApp.RunAsync(["validate", _source.Dir], output, new StringWriter())).Should().Be(0);
        output.ToString().Should().Contain("  warning: services: Procfile also declares services \"web\", \"worker\"");
    }

    [Fact]
    public void Cron_jobs_the_other_file_adds_beside_slipway_jsons_own_services_or_jobs_are_a_warning_too()
    {
        _source.File("index.html", "<h1>hi</h1>").File("vercel.json", """
            { "outputDirectory": ".", "crons": [{ "path": "/api/cron/daily-sync", "schedule": "0 3 * * *" }] }
            """).Manifest("""{ "services": { "api": { "path": "/api", "start": "node api.js" } } }""");

        LoadOk(_source).Warnings.Should().Equal(
            "services: vercel.json also declares service \"web\", which slipway.json does not name; Slipway deploys it too. " +
            "If slipway.json is meant to be the whole manifest, add \"otherFiles\": \"ignore\" to it",
            "crons: vercel.json also declares cron job \"daily-sync\", which slipway.json does not name; Slipway runs it too. " +
            "If slipway.json is meant to be the whole manifest, add \"otherFiles\": \"ignore\" to it");

        _source.Manifest("""{ "crons": [{ "name": "cleanup", "schedule": "0 4 * * *", "path": "/api/cron/cleanup" }] }""");

        LoadOk(_source).Warnings.Should().ContainSingle().Which.Should().StartWith("crons: vercel.json also declares cron job \"daily-sync\"");
    }

    [Fact]
    public void Adding_settings_to_the_other_files_services_gets_no_warning()
    {
        _source.File("package.json", PackageJson).File("Procfile", "web: npm start\nworker: node worker.js\n").Manifest("""
            { "services": { "web": { "healthcheck": { "path": "/healthz" } } }, "databases": { "main": { "type": "postgres" } } }
            """);

        LoadOk(_source).Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Conversion_warnings_come_first_and_app_json_with_its_procfile_is_named_as_both_files()
    {
        _source.File("package.json", PackageJson).File("Procfile", "web: npm start\n")
            .File("app.json", """{ "buildpacks": [{ "url": "heroku/nodejs" }] }""")
            .Manifest("""{ "services": { "web": { "env": { "API_TOKEN": "x" } } } }""");

        var result = LoadOk(_source);

        result.Spec.Origin.Should().Be("slipway.json + app.json + Procfile");
        result.Warnings.Should().HaveCount(2);
        result.Warnings[0].Should().Be("app.json: buildpacks is not supported and was ignored");
        result.Warnings[1].Should().StartWith("services.web.env.API_TOKEN: looks like a secret");
    }

    [Fact]
    public void Crons_merge_by_name_and_a_schedule_set_in_both_is_a_conflict_at_the_jobs_name()
    {
        _source.File("index.html", "<h1>hi</h1>").File("vercel.json", """
            { "outputDirectory": ".", "crons": [{ "path": "/api/cron/daily-sync", "schedule": "0 3 * * *" }] }
            """).Manifest("""
            {
              "services": { "api": { "path": "/api", "start": "node api.js" } },
              "crons": [{ "name": "daily-sync", "retries": 2, "service": "api" }, { "name": "cleanup", "schedule": "0 4 * * *", "command": "node c.js", "service": "api" }]
            }
            """);

        var crons = LoadOk(_source).Spec.Crons;

        crons.Select(cron => (cron.Name, cron.Schedule, cron.Path, cron.Retries, cron.Service)).Should().Equal(
            ("daily-sync", "0 3 * * *", "/api/cron/daily-sync", 2, "api"), ("cleanup", "0 4 * * *", null, 0, "api"));

        _source.Manifest("""{ "crons": [{ "name": "daily-sync", "schedule": "0 5 * * *" }] }""");

        LoadInvalid(_source).Errors.Should().ContainSingle().Which.ToString().Should().Be(
            "crons[\"daily-sync\"].schedule: set in both vercel.json crons[0].schedule (\"0 3 * * *\") and slipway.json " +
            "crons[\"daily-sync\"].schedule (\"0 5 * * *\"); keep it in one of them");
    }

    [Fact]
    public void Route_rules_from_both_files_are_combined_so_slipway_json_decides_where_both_match()
    {
        _source.File("index.html", "<h1>hi</h1>").File("vercel.json", """
            {
              "outputDirectory": ".",
              "rewrites": [{ "source": "/(.*)", "destination": "/index.html" }],
              "headers": [{ "source": "/(.*)", "headers": [{ "key": "Cache-Control", "value": "no-cache" }] }]
            }
            """).Manifest("""
            {
              "routes": {
                "rewrites": [{ "source": "/docs/:path*", "destination": "https://docs.example.com/:path*" },
                             { "source": "/(.*)", "destination": "/index.html" }],
                "headers": [{ "source": "/assets/(.*)", "headers": [{ "key": "Cache-Control", "value": "public, max-age=31536000" }] }],
                "rateLimits": [{ "source": "/(.*)", "limit": 100, "window": "1m" }]
              }
            }
            """);

        var routes = LoadOk(_source).Spec.Routes;

        // The first matching rewrite wins: slipway.json's go before vercel.json's catch-all, which is kept once.
        routes.Rewrites.Select(rewrite => rewrite.Source).Should().Equal("/docs/:path*", "/(.*)");
        // Every matching header rule applies and a later one overrides: slipway.json's go last.
        routes.Headers.Select(rule => rule.Source).Should().Equal("/(.*)", "/assets/(.*)");
        routes.RateLimits.Should().ContainSingle();
    }

    [Fact]
    public void Other_files_ignore_makes_slipway_json_the_whole_manifest_and_the_other_file_is_not_read()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson)
            .Manifest("""{ "otherFiles": "ignore", "services": { "web": { "start": "node server.js" } } }""");

        var spec = LoadOk(_source).Spec;

        spec.Origin.Should().Be("slipway.json");
        var web = spec.Services.Should().ContainSingle().Subject;
        (web.Start, web.Release, web.Healthcheck.StartTimeout).Should().Be(("node server.js", null, new HealthcheckSpec().StartTimeout),
            "railway.json's preDeployCommand and healthcheckTimeout are not read");

        _source.File("railway.json", "{ not json");

        LoadOk(_source).Spec.Origin.Should().Be("slipway.json", "a file that is not read cannot be broken");
    }

    [Fact]
    public void Other_files_merge_is_the_default_and_another_value_is_an_error_listing_both()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson)
            .Manifest("""{ "otherFiles": "merge", "services": { "web": { "healthcheck": { "path": "/healthz" } } } }""");

        LoadOk(_source).Spec.Origin.Should().Be("slipway.json + railway.json");

        _source.Manifest("""{ "otherFiles": "skip", "services": { "web": { "healthcheck": { "path": "/healthz" } } } }""");

        LoadInvalid(_source).SingleErrorAt("otherFiles").Message.Should().Be("expected one of \"merge\", \"ignore\", got \"skip\"");
    }

    [Fact]
    public async Task Convert_write_says_other_files_ignore_so_the_written_file_is_the_manifest_from_then_on()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await Slipway.Cli.CliApp.RunAsync(["manifest", "convert", _source.Dir, "--write"], output, error);

        code.Should().Be(0, error.ToString());
        output.ToString().Should().Contain("\"otherFiles\": \"ignore\"");
        var written = File.ReadAllText(Path.Combine(_source.Dir, "slipway.json"));
        written.Should().StartWith("{\n  \"otherFiles\": \"ignore\",\n  \"services\": {");
        _source.File("railway.json", """{ "deploy": { "startCommand": "npm run serve:v2" } }""");
        var spec = LoadOk(_source).Spec;
        spec.Origin.Should().Be("slipway.json");
        spec.Services.Should().ContainSingle().Which.Start.Should().Be("npm run serve", "a later railway.json edit neither applies nor conflicts");
    }

    [Fact]
    public void A_slipway_json_that_is_not_json_is_reported_as_before()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayJson).Manifest("{ \"services\": ");

        var invalid = LoadInvalid(_source);

        invalid.Subject.Should().Be("slipway.json");
        invalid.Errors.Should().ContainSingle().Which.Message.Should().StartWith("not valid JSON at line 1");
    }
}
