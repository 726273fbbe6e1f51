using Slipway.Manifests;
using Slipway.Manifests.Compat;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>How foreign files meet <see cref="ManifestLoader"/>: which one is used, what wins, and how a broken
/// one is reported. The mappings themselves are pinned by <see cref="ConverterGoldenTests"/>.</summary>
public sealed class ConverterLoaderTests : IDisposable
{
    private const string PackageJson = """{ "scripts": { "start": "node server.js" } }""";
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Railway_json_alone_loads_as_a_valid_spec_with_detected_commands()
    {
        _source.File("package.json", PackageJson)
            .File("railway.json", """{ "deploy": { "healthcheckPath": "/health", "restartPolicyType": "ALWAYS" } }""");

        var result = LoadOk(_source);

        result.Spec.Origin.Should().Be("converted from railway.json");
        result.Warnings.Should().BeEmpty();
        var web = result.Spec.Services.Should().ContainSingle().Subject;
        (web.Name, web.Type, web.Install, web.Start).Should().Be(("web", ServiceType.Web, "npm install", "npm start"));
        web.Healthcheck.Path.Should().Be("/health");
        web.Restart.Policy.Should().Be(RestartPolicy.Always);
    }

    [Fact]
    public void A_broken_foreign_file_beside_slipway_json_is_reported_not_skipped()
    {
        // slipway.json is laid over the foreign file now, so that file must be readable; before, it was ignored.
        _source.File("package.json", PackageJson)
            .File("railway.json", "{ not even json")
            .Manifest("""{ "services": { "api": { "start": "./api" } } }""");

        var invalid = LoadInvalid(_source);

        invalid.Subject.Should().Be("railway.json");
        invalid.Errors.Should().ContainSingle().Which.Message.Should().StartWith("railway.json: not valid JSON at line 1");
    }

    [Fact]
    public void Files_are_preferred_in_the_documented_order()
    {
        _source.File("Procfile", "web: ./procfile").File("app.json", "{}").File("render.yaml", "services: []");
        ManifestConverter.Convert(_source.Dir)!.Source.Should().Be("render.yaml");

        _source.File("vercel.json", "{}");
        ManifestConverter.Convert(_source.Dir)!.Source.Should().Be("vercel.json");

        _source.File("railway.json", "{}");
        ManifestConverter.Convert(_source.Dir)!.Source.Should().Be("railway.json");
    }

    [Fact]
    public void No_foreign_file_means_no_conversion_and_detection_as_before()
    {
        _source.File("package.json", PackageJson);

        ManifestConverter.Convert(_source.Dir).Should().BeNull();
        LoadOk(_source).Spec.Origin.Should().StartWith("detected: ");
    }

    [Theory]
    [InlineData("railway.json", "{\n  \"deploy\": {\n    \"startCommand\": \"npm start\",,\n  }\n}", "railway.json: not valid JSON at line 3")]
    [InlineData("vercel.json", "[1, 2]", "vercel.json: expected a JSON object")]
    [InlineData("render.yaml", "services:\n  - type: web\n    name: api: v2\n    startCommand: npm start\n", "render.yaml: not valid YAML at line 3")]
    [InlineData("Procfile", "web: npm start\n\nthis is not a process line\n", "Procfile: line 3: expected \"<process type>: <command>\"")]
    public void A_broken_foreign_file_is_an_error_naming_the_file_and_line(string file, string content, string expected)
    {
        _source.File("package.json", PackageJson).File(file, content);

        var invalid = LoadInvalid(_source);

        invalid.Subject.Should().Be(file);
        invalid.Errors.Should().ContainSingle().Which.Message.Should().StartWith(expected);
        invalid.Message.Should().StartWith($"{file} has 1 error:");
    }

    [Fact]
    public void A_converted_manifest_that_does_not_validate_says_where_it_came_from()
    {
        _source.File("package.json", PackageJson).File("railway.json", """{ "deploy": { "numReplicas": 100 } }""");

        var invalid = LoadInvalid(_source);

        invalid.Subject.Should().Be("slipway.json converted from railway.json");
        invalid.SingleErrorAt("services.web.replicas").Message.Should().Contain("from 1 to 32");
    }

    [Fact]
    public void Vercel_json_with_next_keeps_a_web_service()
    {
        _source.File("package.json", """{ "scripts": { "build": "next build", "start": "next start" }, "dependencies": { "next": "15.0.0" } }""")
            .File("vercel.json", """{ "outputDirectory": ".next", "crons": [{ "path": "/api/cron/daily-sync", "schedule": "0 3 * * *" }] }""");

        var converted = (ConversionResult.Converted)ManifestConverter.Convert(_source.Dir)!;
        var spec = LoadOk(_source).Spec;

        converted.Warnings.Should().Equal(
            "vercel.json: outputDirectory is not supported and was ignored; a Next.js app runs as a web service with `npm start`");
        spec.Services.Should().ContainSingle().Which.Should().Match<ServiceSpec>(web =>
            web.Type == ServiceType.Web && web.Start == "npm start" && web.Build == "npm run build");
        spec.Crons.Should().ContainSingle().Which.Name.Should().Be("daily-sync");
    }

    [Fact]
    public void Procfile_without_web_runs_release_before_every_service()
    {
        _source.File("Procfile", "worker: node worker.js\nclock: node clock.js\nrelease: node migrate.js\n");

        var spec = LoadOk(_source).Spec;

        spec.Origin.Should().Be("converted from Procfile");
        spec.Services.Select(service => (service.Name, service.Type, service.Release)).Should().Equal(
            ("worker", ServiceType.Worker, "node migrate.js"), ("clock", ServiceType.Worker, "node migrate.js"));
    }

    [Fact]
    public void App_json_without_procfile_gets_one_detected_web_service()
    {
        _source.File("package.json", PackageJson)
            .File("app.json", """{ "scripts": { "postdeploy": "node seed.js" }, "formation": { "web": { "quantity": 3 } } }""");

        var result = LoadOk(_source);

        result.Spec.Origin.Should().Be("converted from app.json");
        result.Spec.Services.Should().ContainSingle().Which.Should().Match<ServiceSpec>(web =>
            web.Name == "web" && web.Start == "npm start" && web.Release == "node seed.js" && web.Replicas == 3);
        result.Warnings.Should().ContainSingle().Which.Should().Contain("scripts.postdeploy").And.Contain("before traffic moves");
    }

    [Fact]
    public void A_second_render_web_service_answers_under_its_own_path()
    {
        _source.File("package.json", PackageJson).File("render.yaml", """
            services:
              - { type: web, name: site, startCommand: node site.js }
              - { type: web, name: API, startCommand: node api.js }
            """);

        var result = LoadOk(_source);

        result.Spec.Services.Select(service => (service.Name, service.Path)).Should().Equal(("site", "/"), ("api", "/api"));
        result.Warnings.Should().ContainSingle().Which.Should().StartWith("render.yaml: services[1]: Render gives each web service");
    }
}
