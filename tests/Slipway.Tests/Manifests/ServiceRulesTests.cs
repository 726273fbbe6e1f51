using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>The second pass: detection under each service's root, rules by service type, one route per path.</summary>
public sealed class ServiceRulesTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Omitted_commands_are_detected_per_service_under_its_root()
    {
        _source
            .File("apps/api/package.json", """{ "scripts": { "start": "node server.js", "build": "tsc" } }""")
            .File("apps/api/package-lock.json", "{}")
            .File("apps/web/package.json", """{ "scripts": { "build": "vite build" }, "devDependencies": { "vite": "^7" } }""")
            .File("apps/worker/package.json", """{ "main": "worker.js" }""")
            .Manifest("""
                {
                  "services": {
                    "api": { "root": "apps/api", "path": "/api" },
                    "web": { "type": "static", "root": "apps/web" },
                    "worker": { "type": "worker", "root": "apps/worker", "install": null, "start": "node worker.js --queue" }
                  }
                }
                """);

        var services = LoadOk(_source).Spec.Services;

        services[0].Should().BeEquivalentTo(new { Install = "npm ci", Build = "npm run build", Start = "npm start", Output = (string?)null });
        services[1].Should().BeEquivalentTo(new { Install = "npm install", Build = "npm run build", Start = (string?)null, Output = "dist" });
        // Declared commands win, an explicit null means none, and only omitted ones are detected.
        services[2].Should().BeEquivalentTo(new { Install = (string?)null, Build = (string?)null, Start = "node worker.js --queue" });
    }

    [Fact]
    public void Service_without_start_and_nothing_detectable_says_where_it_looked()
    {
        _source.Folder("apps/api").Manifest("""{ "services": { "api": { "root": "apps/api" } } }""");

        var error = LoadInvalid(_source).SingleErrorAt("services.api.start");

        error.Message.Should().Contain("\"apps/api\"").And.Contain("package.json").And.Contain("\"start\":");
    }

    [Fact]
    public void Web_service_whose_root_is_a_static_site_is_told_to_change_type()
    {
        _source.File("index.html", "<h1>hi</h1>").Manifest("""{ "services": { "web": { } } }""");

        LoadInvalid(_source).SingleErrorAt("services.web.start").Message.Should().Contain("\"type\": \"static\"");
    }

    [Fact]
    public void Static_service_rules()
    {
        _source.Manifest("""
            {
              "services": {
                "a": { "type": "static", "output": "missing", "replicas": 1, "healthcheck": {}, "release": "x" },
                "b": { "type": "static", "path": "/b" },
                "c": { "start": "x", "path": "/c", "output": "dist", "spa": true }
              }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.Errors.Select(error => error.Path).Should().BeEquivalentTo(
        [
            "services.a.replicas", "services.a.healthcheck", "services.a.release",
            "services.a.output", // no build, so the directory must already exist
            "services.b.output", // required, and nothing to detect it from
            "services.c.output", "services.c.spa", // only static services have them
        ], because: invalid.Message);
    }

    [Fact]
    public void Two_services_on_one_path_is_an_error_on_the_second()
    {
        _source.File("site/index.html").Manifest("""
            {
              "services": {
                "api": { "start": "x", "path": "/api" },
                "app": { "start": "y" },
                "site": { "type": "static", "root": "site" },
                "worker": { "type": "worker", "start": "z" }
              }
            }
            """);

        var error = LoadInvalid(_source).Errors.Should().ContainSingle().Subject;

        error.Path.Should().Be("services.site.path");
        error.Message.Should().Contain("services.app");
    }

    [Theory]
    [InlineData("missing", "does not exist")]
    [InlineData("server.js", "is a file, not a directory")]
    [InlineData("../up", "\"..\"")]
    [InlineData("/abs", "relative")]
    [InlineData("a\\\\b", "\"/\"")]
    public void Root_must_be_an_existing_directory_inside_the_source(string root, string hint)
    {
        _source.File("server.js").Manifest($$"""{ "services": { "web": { "root": "{{root}}", "start": "x" } } }""");

        LoadInvalid(_source).SingleErrorAt("services.web.root").Message.Should().Contain(hint);
    }
}
