using System.Text.Json.Nodes;
using Slipway.Manifests;
using Slipway.Manifests.Compat;

namespace Slipway.Tests.Manifests;

/// <summary>Each format's fixture converts to exactly the expected slipway.json and warnings, and the result
/// loads as a valid app (the converter's output goes through the same validation as a hand-written file).</summary>
public sealed class ConverterGoldenTests
{
    [Theory]
    [InlineData("railway", "railway.json")]
    [InlineData("railway-cron", "railway.json")]
    [InlineData("vercel", "vercel.json")]
    [InlineData("procfile", "Procfile")]
    [InlineData("render", "render.yaml")]
    [InlineData("appjson", "app.json and Procfile")]
    public void Fixture_converts_to_the_expected_manifest_and_warnings(string format, string source)
    {
        var input = Path.Combine(Golden.Dir(format), "input");

        var converted = ManifestConverter.Convert(input).Should().BeOfType<ConversionResult.Converted>().Subject;

        converted.Source.Should().Be(source);
        Golden.Match(format, "slipway.json", converted.Json);
        Golden.Match(format, "warnings.txt", string.Concat(converted.Warnings.Select(warning => warning + "\n")));
        Golden.Match(format, "sources.txt", string.Concat(Sources(converted).Select(line => line + "\n")));

        var loaded = ManifestLoader.Load(input);
        var ok = loaded.Should().BeOfType<ManifestResult.Ok>(because: (loaded as ManifestResult.Invalid)?.Message).Subject;
        ok.Spec.Origin.Should().Be($"converted from {source}");
        ok.Warnings.Should().StartWith(converted.Warnings);
    }

    /// <summary>A conflict with slipway.json quotes the other file's own key and value, so the converters record one
    /// for every value they write.</summary>
    [Theory]
    [MemberData(nameof(Golden.Formats), MemberType = typeof(Golden))]
    public void Every_converted_value_names_the_key_it_came_from(string format)
    {
        var converted = (ConversionResult.Converted)ManifestConverter.Convert(Path.Combine(Golden.Dir(format), "input"))!;

        Sources(converted).Where(line => line.EndsWith(Unknown, StringComparison.Ordinal)).Should().BeEmpty();
    }

    private const string Unknown = "(no source)";

    /// <summary>"services.web.start: railway.json deploy.startCommand ("npm start")", one line for each value of the
    /// converted manifest (a rule list is one value) in the order of the file.</summary>
    private static List<string> Sources(ConversionResult.Converted converted)
    {
        var lines = new List<string>();
        var lists = new List<string>();
        foreach (var (path, node) in ManifestPaths.Walk(JsonNode.Parse(converted.Json)))
        {
            if (node is JsonObject || ManifestPaths.NamedLists.Contains(path)
                || lists.Exists(list => path.StartsWith(list + "[", StringComparison.Ordinal)))
                continue;
            if (node is JsonArray)
                lists.Add(path);
            var source = converted.Provenance.Sources.GetValueOrDefault(path);
            lines.Add($"{path}: {source?.Describe(node) ?? Unknown}");
        }

        return lines;
    }

    [Fact]
    public void Railway_settings_land_on_the_web_service()
    {
        var spec = Load("railway");

        var web = spec.Services.Should().ContainSingle().Subject;
        web.Name.Should().Be("web");
        web.Build.Should().Be("npm run build");
        web.Install.Should().Be("npm install", "railway.json has no install command, so it is detected from package.json");
        web.Start.Should().Be("npm start");
        web.Release.Should().Be("npm run migrate");
        web.Replicas.Should().Be(2);
        web.Healthcheck.Path.Should().Be("/health");
        web.Healthcheck.StartTimeout.Should().Be(TimeSpan.FromSeconds(30));
        web.Restart.Should().Be(new RestartSpec { Policy = RestartPolicy.OnFailure, MaxRetries = 3 });
    }

    [Fact]
    public void Vercel_warns_about_every_setting_it_drops()
    {
        var converted = (ConversionResult.Converted)ManifestConverter.Convert(Path.Combine(Golden.Dir("vercel"), "input"))!;

        converted.Warnings.Should().Contain("vercel.json: functions is not supported and was ignored");
        converted.Warnings.Should().Contain("vercel.json: regions is not supported and was ignored");
        converted.Warnings.Should().Contain(warning => warning.StartsWith("vercel.json: rewrites[2]: has is not supported",
            StringComparison.Ordinal));
    }

    [Fact]
    public void Vercel_routes_and_crons_are_kept_on_the_spec()
    {
        var spec = Load("vercel");

        spec.Services.Should().ContainSingle().Which.Should().Match<ServiceSpec>(service =>
            service.Type == ServiceType.Static && service.Output == "dist/public" && service.Build == "npm run build");
        spec.Routes.Rewrites.Select(rewrite => rewrite.Source).Should().Equal("/api/:path*", "/widget.js", "/(.*)");
        spec.Routes.Rewrites[0].Destination.Should().Be("https://convoai-backend.onrender.com/api/:path*");
        spec.Routes.Redirects.Select(redirect => redirect.StatusCode).Should().Equal(308, 302);
        spec.Routes.Headers.Should().ContainSingle().Which.Headers.Should()
            .Contain(new HeaderValue("Access-Control-Allow-Origin", "*"));
        spec.Routes.CleanUrls.Should().BeTrue();
        spec.Crons.Select(cron => (cron.Name, cron.Schedule, cron.Path)).Should().Equal(
            ("usage-aggregation", "0 1 * * *", "/api/cron/usage-aggregation"),
            ("daily-sync", "0 */4 * * *", "/api/cron/daily-sync"));
    }

    [Fact]
    public void Procfile_gives_a_web_service_workers_and_the_release_command()
    {
        var spec = Load("procfile");

        spec.Services.Select(service => (service.Name, service.Type, service.Start, service.Release)).Should().Equal(
            ("web", ServiceType.Web, "npm start", "npm run db:migrate"),
            ("worker", ServiceType.Worker, "node dist/workers/index.js", null),
            ("urgent-jobs", ServiceType.Worker, "node dist/workers/index.js --queue urgent", null));
    }

    [Fact]
    public void Render_services_become_services_and_the_cron_a_job_in_their_build()
    {
        var spec = Load("render");

        spec.Services.Select(service => (service.Name, service.Type, service.Root)).Should().Equal(
            ("convoai-backend", ServiceType.Web, "apps/api"), ("convoai-workers", ServiceType.Worker, "apps/api"));
        var web = spec.Services[0];
        (web.Release, web.Replicas, web.Healthcheck.Path).Should().Be(("npm run db:migrate", 2, "/api/health"));
        web.Env.Should().Equal(new Dictionary<string, string> { ["NODE_ENV"] = "production" });
        spec.Crons.Should().ContainSingle().Which.Should().Be(new CronSpec
        {
            Name = "usage-rollup", Schedule = "0 * * * *", Command = "node dist/jobs/usage-rollup.js", Service = "convoai-backend",
            Timeout = TimeSpan.FromHours(12), Missed = CronMissed.Skip,
        });
    }

    [Fact]
    public void App_json_adds_release_formation_and_healthcheck_to_the_procfile_services()
    {
        var spec = Load("appjson");

        var web = spec.Services[0];
        (web.Name, web.Release, web.Replicas, web.Healthcheck.Path).Should().Be(("web", "npm run migrate", 2, "/health"));
        web.Healthcheck.Timeout.Should().Be(TimeSpan.FromSeconds(5));
        spec.Services[1].Should().Match<ServiceSpec>(worker => worker.Name == "worker" && worker.Replicas == 1 && worker.Release == null);
    }

    private static AppSpec Load(string format)
    {
        var result = ManifestLoader.Load(Path.Combine(Golden.Dir(format), "input"));
        return result.Should().BeOfType<ManifestResult.Ok>(because: (result as ManifestResult.Invalid)?.Message).Subject.Spec;
    }
}
