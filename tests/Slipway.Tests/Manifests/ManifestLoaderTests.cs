using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

public sealed class ManifestLoaderTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Full_manifest_maps_to_the_expected_spec()
    {
        _source.Folder("apps/api").Folder("apps/site").Folder("apps/jobs").Manifest("""
            {
              "$schema": "../../schemas/slipway.schema.json",
              "name": "shop",
              // Comments and trailing commas are allowed: people write this file.
              "services": {
                "api": {
                  "type": "web",
                  "root": "./apps/api/",
                  "install": "npm ci", "build": "npm run build", "start": "node server.js",
                  "release": "node migrate.js",
                  "path": "/api/",
                  "healthcheck": { "path": "/health", "timeout": "2s", "interval": 0.25, "startTimeout": "1m30s" },
                  "replicas": 2,
                  "restart": { "policy": "always", "maxRetries": 3 },
                  "env": { "LOG_LEVEL": "info", "WORKERS": 4, "VERBOSE": true },
                },
                "site": { "type": "static", "root": "apps/site", "install": null, "build": "make", "output": "public", "spa": false },
                "jobs": { "type": "worker", "root": "apps/jobs", "install": null, "build": null, "start": "./run-jobs" },
              },
              "deploy": { "drainTimeout": "45s", "buildTimeout": "20m", "releaseTimeout": 120, "stopTimeout": "500ms" },
            }
            """);

        var result = LoadOk(_source);

        result.Warnings.Should().BeEmpty();
        result.Spec.Should().BeEquivalentTo(new AppSpec
        {
            Name = "shop",
            Origin = "slipway.json",
            Services =
            [
                new ServiceSpec
                {
                    Name = "api", Type = ServiceType.Web, Root = "apps/api",
                    Install = "npm ci", Build = "npm run build", Start = "node server.js", Release = "node migrate.js",
                    Path = "/api", Replicas = 2,
                    Healthcheck = new HealthcheckSpec
                    {
                        Path = "/health", Timeout = TimeSpan.FromSeconds(2), Interval = TimeSpan.FromMilliseconds(250),
                        StartTimeout = TimeSpan.FromSeconds(90),
                    },
                    Restart = new RestartSpec { Policy = RestartPolicy.Always, MaxRetries = 3 },
                    Env = new Dictionary<string, string> { ["LOG_LEVEL"] = "info", ["WORKERS"] = "4", ["VERBOSE"] = "true" },
                },
                new ServiceSpec
                {
                    Name = "site", Type = ServiceType.Static, Root = "apps/site", Build = "make", Output = "public", Spa = false,
                },
                new ServiceSpec { Name = "jobs", Type = ServiceType.Worker, Root = "apps/jobs", Start = "./run-jobs" },
            ],
            Deploy = new DeploySpec
            {
                DrainTimeout = TimeSpan.FromSeconds(45), BuildTimeout = TimeSpan.FromMinutes(20),
                ReleaseTimeout = TimeSpan.FromMinutes(2), StopTimeout = TimeSpan.FromMilliseconds(500),
            },
        }, options => options.WithStrictOrdering());
    }

    [Fact]
    public void Minimal_manifest_gets_every_default()
    {
        _source.Manifest("""{ "services": { "web": { "start": "./server" } } }""");

        var spec = LoadOk(_source).Spec;

        spec.Name.Should().BeNull();
        spec.Deploy.Should().Be(new DeploySpec());
        var web = spec.Services.Should().ContainSingle().Subject;
        web.Should().BeEquivalentTo(new ServiceSpec { Name = "web", Start = "./server" });
        web.Healthcheck.Should().Be(new HealthcheckSpec());
        web.Restart.Should().Be(new RestartSpec());
    }

    [Fact]
    public void Every_mistake_is_reported_at_once_with_its_key_path()
    {
        _source.Folder("apps/api").Manifest("""
            {
              "name": "My Shop",
              "services": {
                "api": {
                  "root": "apps/api",
                  "start": "node server.js",
                  "healthcheck": { "path": "health", "timeout": "thirty" },
                  "replicas": 0,
                  "env": { "PORT": "8080", "1BAD": "x", "NESTED": { "a": 1 } }
                },
                "Jobs_1": { "type": "worker", "start": "./jobs", "path": "/jobs" },
                "site": { "type": "static", "start": "serve", "output": ".", "path": "/site" },
                "escape": { "root": "../elsewhere", "start": "x", "path": "/escape" }
              },
              "deploy": { "drainTimeout": "0s", "buildTimeout": true }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.Errors.Select(error => error.Path).Should().BeEquivalentTo(
        [
            "name",
            "services.api.healthcheck.path",
            "services.api.healthcheck.timeout",
            "services.api.replicas",
            "services.api.env.PORT",
            "services.api.env.1BAD",
            "services.api.env.NESTED",
            "services.Jobs_1",
            "services.Jobs_1.path",
            "services.site.start",
            "services.escape.root",
            "deploy.drainTimeout",
            "deploy.buildTimeout",
        ], because: invalid.Message);
        invalid.SingleErrorAt("services.api.healthcheck.timeout").ToString()
            .Should().StartWith("services.api.healthcheck.timeout: expected a duration like \"30s\"")
            .And.EndWith("got \"thirty\"");
        invalid.Message.Should().StartWith("slipway.json has 13 errors:\n  - name: ");
        invalid.Message.Split('\n').Should().HaveCount(14);
    }

    [Theory]
    [InlineData("""{ "services": { "web": { "strat": "x" } } }""", "services.web.strat", "did you mean \"start\"?")]
    [InlineData("""{ "services": { "web": { "start": "x", "Replicas": 2 } } }""", "services.web.Replicas", "did you mean \"replicas\"?")]
    [InlineData("""{ "servces": { } }""", "servces", "did you mean \"services\"?")]
    [InlineData("""{ "services": { "web": { "start": "x", "drainTimeout": "5s" } } }""", "services.web.drainTimeout", "deploy.drainTimeout")]
    [InlineData("""{ "services": { "web": { "start": "x", "port": 3000 } } }""", "services.web.port", "PORT environment variable")]
    [InlineData("""{ "services": { "web": { "start": "x", "healthcheck": { "timout": "1s" } } } }""", "services.web.healthcheck.timout", "did you mean \"timeout\"?")]
    [InlineData("""{ "services": { "web": { "start": "x", "zzz": 1 } } }""", "services.web.zzz", "allowed here: type, root, install")]
    [InlineData("""{ "services": { "web": { "type": "webb", "start": "x" } } }""", "services.web.type", "did you mean \"web\"?")]
    public void Unknown_keys_and_values_suggest_a_fix(string json, string path, string hint)
    {
        _source.Manifest(json);

        LoadInvalid(_source).SingleErrorAt(path).Message.Should().Contain(hint);
    }

    [Fact]
    public void Json_syntax_error_is_one_error_with_line_and_column()
    {
        _source.Manifest("{\n  \"services\": {\n    \"web\": { \"start\": \"x\" }\n    \"worker\": {}\n  }\n}");

        var invalid = LoadInvalid(_source);

        var error = invalid.Errors.Should().ContainSingle().Subject;
        error.Path.Should().BeEmpty();
        error.Message.Should().StartWith("not valid JSON at line 4, column 5: ").And.NotContain("LineNumber");
    }

    [Theory]
    [InlineData("""{ "services": { "web": { "type": "wokrer" } } }""", "services.web.type")]
    [InlineData("""{ "services": { "web": { "typ": "static", "output": "." } } }""", "services.web.typ")]
    [InlineData("""{ "services": { "web": { "strat": "node server.js" } } }""", "services.web.strat")]
    [InlineData("""{ "services": { "web": { "type": "static", "ouptut": "." } } }""", "services.web.ouptut")]
    public void A_typo_is_reported_once_not_again_as_its_consequences(string json, string path)
    {
        // Nothing to detect here, so without the guards "start" or "output" would be reported missing too,
        // and "output" on what looks like a web service.
        _source.Manifest(json);

        LoadInvalid(_source).Errors.Select(error => error.Path).Should().Equal(path);
    }

    [Theory]
    [InlineData("""{ }""", "services", "missing")]
    [InlineData("""{ "services": { } }""", "services", "at least one service")]
    [InlineData("""{ "services": [] }""", "services", "got an array")]
    [InlineData("""[]""", "", "expected an object")]
    [InlineData("""{ "services": { "web": { "start": null } } }""", "services.web.start", "got null")]
    [InlineData("""{ "services": { "web": { "start": "" } } }""", "services.web.start", "empty string")]
    [InlineData("""{ "services": { "web": { "start": "x", "restart": { "policy": "sometimes" } } } }""", "services.web.restart.policy", "\"on-failure\"")]
    [InlineData("""{ "services": { "web": { "start": "x", "replicas": 1.5 } } }""", "services.web.replicas", "whole number from 1 to 32")]
    [InlineData("""{ "services": { "web": { "start": "x", "healthcheck": { "interval": "30" } } } }""", "services.web.healthcheck.interval", "add a unit")]
    [InlineData("""{ "services": { "web": { "start": "x" }, "web": { "start": "y" } } }""", "services.web", "more than once")]
    [InlineData("""{ "services": { "my.api": { "start": "x" } } }""", "services[\"my.api\"]", "service names must be")]
    public void Structural_mistakes(string json, string path, string hint)
    {
        _source.Manifest(json);

        LoadInvalid(_source).SingleErrorAt(path).Message.Should().Contain(hint);
    }

    [Fact]
    public void Suspicious_but_valid_settings_are_warnings()
    {
        _source.Manifest("""
            { "services": { "web": { "start": "x", "env": { "STRIPE_API_KEY": "sk_live_1", "SLIPWAY_APP": "x" }, "restart": { "policy": "never", "maxRetries": 3 } } } }
            """);

        var result = LoadOk(_source);

        result.Warnings.Should().HaveCount(3);
        result.Warnings.Should().Contain(warning => warning.StartsWith("services.web.env.STRIPE_API_KEY: looks like a secret"));
        result.Warnings.Should().Contain(warning => warning.StartsWith("services.web.restart.maxRetries:"));
        result.Warnings.Should().Contain(warning => warning.StartsWith("services.web.env.SLIPWAY_APP:"));
        result.Warnings.Should().NotContain(warning => warning.Contains("sk_live_1"), "warnings must not echo secret values");
    }

    [Fact]
    public void Without_a_manifest_the_app_is_detected_as_one_web_service()
    {
        _source.File("package.json", """{ "scripts": { "start": "node app.js" } }""").File("package-lock.json", "{}");

        var result = LoadOk(_source);

        result.Spec.Origin.Should().Be("detected: node (package.json)");
        result.Spec.Services.Should().ContainSingle().Which.Should().BeEquivalentTo(
            new ServiceSpec { Name = "web", Type = ServiceType.Web, Install = "npm ci", Start = "npm start" });
    }

    [Fact]
    public void Without_a_manifest_and_nothing_detectable_the_error_points_at_slipway_json()
    {
        _source.File("main.py", "print('hi')");

        var invalid = LoadInvalid(_source);

        invalid.Errors.Should().ContainSingle();
        invalid.Message.Should().StartWith("the app has 1 error:")
            .And.Contain("package.json").And.Contain("*.csproj").And.Contain("index.html")
            .And.Contain("schemas/slipway.schema.json");
    }

    [Theory]
    [InlineData("Slipway.json")]
    [InlineData("slipway.yaml")]
    public void A_misnamed_manifest_is_not_silently_ignored(string fileName)
    {
        _source.File(fileName, "{}").File("index.html");

        LoadInvalid(_source).Errors.Should().ContainSingle().Which.Message.Should().Contain(fileName).And.Contain("slipway.json");
    }

    [Fact]
    public void A_default_or_env_value_larger_than_a_process_can_be_started_with_is_an_error_at_its_key_path()
    {
        var large = new string('x', 130 * 1024);
        _source.Manifest("{ \"services\": { \"web\": { \"start\": \"./server\", \"env\": { \"BIG\": \"" + large + "\" } } }, " +
            "\"variables\": { \"HUGE\": { \"default\": \"" + large + "\" } } }");

        var invalid = LoadInvalid(_source);

        invalid.SingleErrorAt("services.web.env.BIG").Message.Should().Contain("at most 131,071 bytes per variable");
        invalid.SingleErrorAt("variables.HUGE.default").Message.Should().Contain("at most 131,071 bytes per variable");
    }
}
