using System.Text.Json.Nodes;
using Slipway.Manifests;
using Slipway.Manifests.Compat;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>A slipway.json that restates the other file (written by an older `slipway manifest convert --write`,
/// before the converter normalized a value as it does now) merges with it without a conflict; only a genuine
/// difference is one.</summary>
public sealed class ManifestRestatementTests : IDisposable
{
    private const string PackageJson = """{ "scripts": { "start": "node server.js", "build": "tsc" } }""";
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Theory]
    [InlineData("npm install && npm run build")] // as railway.json writes it, and older converters copied it
    [InlineData("npm run build")] // as the converter writes it now
    [InlineData("npm install&&npm run build")] // the same once its install is taken out
    public void A_build_command_restated_with_its_install_is_not_a_conflict_and_the_install_runs_once(string build)
    {
        _source.File("package.json", PackageJson)
            .File("railway.json", """{ "build": { "buildCommand": "npm install && npm run build" } }""")
            .Manifest($$"""{ "services": { "web": { "build": "{{build}}" } } }""");

        var web = LoadOk(_source).Spec.Services.Should().ContainSingle().Subject;

        (web.Install, web.Build).Should().Be(("npm install", "npm run build"));
    }

    [Fact]
    public void A_vercel_build_restated_with_the_install_vercel_json_also_declares_installs_once()
    {
        _source.File("package.json", """{ "scripts": { "build": "vite build" }, "devDependencies": { "vite": "5" } }""")
            .File("vercel.json", """{ "buildCommand": "npm ci && vite build", "installCommand": "npm install", "outputDirectory": "dist" }""")
            .Manifest("""{ "services": { "web": { "install": "npm install", "build": "npm ci && vite build", "output": "dist" } } }""");

        var web = LoadOk(_source).Spec.Services.Should().ContainSingle().Subject;

        (web.Install, web.Build).Should().Be(("npm install", "vite build"));
    }

    [Theory]
    [InlineData("npm run compile")]
    [InlineData("npm install && npm run compile")]
    public void A_build_command_that_differs_once_normalized_is_a_conflict(string build)
    {
        _source.File("package.json", PackageJson)
            .File("railway.json", """{ "build": { "buildCommand": "npm install && npm run build" } }""")
            .Manifest($$"""{ "services": { "web": { "build": "{{build}}" } } }""");

        LoadInvalid(_source).Errors.Should().ContainSingle().Which.ToString().Should().Be(
            "services.web.build: set in both railway.json build.buildCommand (\"npm install && npm run build\", converted to " +
            $"\"npm run build\") and slipway.json services.web.build (\"{build}\"); keep it in one of them");
    }

    private const string RailwayCron = """
        {
          "build": { "buildCommand": "npm ci && npm run build" },
          "deploy": {
            "startCommand": "node jobs/sync.js", "cronSchedule": "0 */6 * * *", "restartPolicyType": "NEVER",
            "healthcheckPath": "/health", "healthcheckTimeout": 30
          }
        }
        """;

    /// <summary>What `slipway manifest convert --write` made of <see cref="RailwayCron"/> before cronSchedule was mapped
    /// and installs were taken out of builds: a web service running the job's command all the time.</summary>
    private const string RailwayCronWrittenBefore = """
        {
          "services": {
            "web": {
              "build": "npm ci && npm run build",
              "start": "node jobs/sync.js",
              "healthcheck": { "path": "/health", "startTimeout": "30s" },
              "restart": { "policy": "never" }
            }
          }
        }
        """;

    [Fact]
    public void A_railway_cron_service_restated_as_an_older_converter_wrote_it_merges_into_the_cron_job()
    {
        _source.File("package.json", PackageJson).File("package-lock.json", "{}").File("railway.json", RailwayCron)
            .Manifest(RailwayCronWrittenBefore);

        var spec = LoadOk(_source).Spec;

        var web = spec.Services.Should().ContainSingle().Subject;
        (web.Type, web.Start, web.Install, web.Build).Should().Be(
            (ServiceType.Worker, RailwayConverter.Idle, "npm ci", "npm run build"));
        web.Healthcheck.Should().Be(new HealthcheckSpec(), "railway.json's healthcheck was left out of the cron worker, and so is its restatement");
        spec.Crons.Should().ContainSingle().Which.Command.Should().Be("node jobs/sync.js");
    }

    [Fact]
    public void A_start_command_or_healthcheck_that_really_differs_from_a_railway_cron_service_is_still_an_error()
    {
        _source.File("package.json", PackageJson).File("railway.json", RailwayCron).Manifest("""
            { "services": { "web": { "start": "node other.js", "healthcheck": { "path": "/ready" } } } }
            """);

        var invalid = LoadInvalid(_source);

        invalid.SingleErrorAt("services.web.start").Message.Should().Be(
            "set in both railway.json deploy.startCommand (\"node jobs/sync.js\", converted to \"sleep infinity\") and " +
            "slipway.json services.web.start (\"node other.js\"); keep it in one of them");
        invalid.SingleErrorAt("services.web.healthcheck").Message.Should().StartWith("workers get no HTTP traffic");
    }

    /// <summary>For every converter: a slipway.json that writes each value as the other file does (or as the converter
    /// does now) deploys exactly what the other file alone does.</summary>
    [Theory]
    [MemberData(nameof(Golden.Formats), MemberType = typeof(Golden))]
    public void A_golden_fixture_restated_in_its_own_files_words_loads_as_the_file_alone(string format)
    {
        CopyInput(format);
        var alone = LoadOk(_source).Spec;
        var converted = (ConversionResult.Converted)ManifestConverter.Convert(_source.Dir)!;
        var restated = JsonNode.Parse(converted.Json)!.AsObject();
        foreach (var (path, source) in converted.Provenance.Sources.Where(pair => !pair.Value.Derived))
        {
            // Rule lists are combined rather than compared, and their unsupported rules were never written out.
            if (Parent(restated, path) is var (parent, key) && parent[key] is not (JsonObject or JsonArray))
                parent[key] = source.Raw?.DeepClone();
        }

        _source.Manifest(restated.ToJsonString());

        var merged = LoadOk(_source).Spec;
        merged.Origin.Should().StartWith("slipway.json + ");
        merged.Should().BeEquivalentTo(alone, options => options.Excluding(spec => spec.Origin));
    }

    private void CopyInput(string format)
    {
        var input = Path.Combine(Golden.Dir(format), "input");
        foreach (var file in Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories))
            _source.File(Path.GetRelativePath(input, file), File.ReadAllText(file));
    }

    /// <summary>The object holding the value at <paramref name="path"/> and its key there, found by walking the paths.</summary>
    private static (JsonObject Parent, string Key)? Parent(JsonObject manifest, string path)
    {
        foreach (var (objectPath, node) in ManifestPaths.Walk(manifest))
        {
            if (node is not JsonObject fields)
                continue;
            foreach (var key in fields.Select(field => field.Key))
            {
                if (ManifestDiagnostics.Join(objectPath, key) == path)
                    return (fields, key);
            }
        }

        return null;
    }
}
