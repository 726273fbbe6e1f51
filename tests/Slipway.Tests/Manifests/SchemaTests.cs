using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Manifests;

namespace Slipway.Tests.Manifests;

/// <summary>schemas/slipway.schema.json is what editors check slipway.json against; these tests keep it in
/// step with what <see cref="ManifestLoader"/> accepts, so neither can change without the other.</summary>
public sealed class SchemaTests
{
    private static readonly JsonElement Schema = LoadSchema();
    private static readonly JsonElement Service = Schema.GetProperty("$defs").GetProperty("service");

    private static JsonElement LoadSchema()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Slipway.slnx")))
            directory = directory.Parent;
        directory.Should().NotBeNull("the tests run from inside the repository");

        var path = Path.Combine(directory!.FullName, "schemas", "slipway.schema.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path)); // strict JSON: no comments in the schema
        return document.RootElement.Clone();
    }

    private static JsonElement Property(JsonElement schema, params string[] names)
    {
        foreach (var name in names)
            schema = schema.GetProperty("properties").GetProperty(name);
        return schema;
    }

    private static List<string> PropertyNames(JsonElement schema) =>
        schema.GetProperty("properties").EnumerateObject().Select(property => property.Name).ToList();

    private static List<string?> Strings(JsonElement array) => array.EnumerateArray().Select(item => item.GetString()).ToList();

    [Fact]
    public void Is_a_draft_2020_12_schema()
    {
        Schema.GetProperty("$schema").GetString().Should().Be("https://json-schema.org/draft/2020-12/schema");
        Schema.GetProperty("additionalProperties").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public void Property_names_match_the_keys_the_loader_accepts_at_every_level()
    {
        PropertyNames(Schema).Should().Equal(ManifestKeys.RootKeys);
        PropertyNames(Service).Should().Equal(ManifestKeys.ServiceKeys);
        PropertyNames(Property(Service, "healthcheck")).Should().Equal(ManifestKeys.HealthcheckKeys);
        PropertyNames(Property(Service, "restart")).Should().Equal(ManifestKeys.RestartKeys);
        PropertyNames(Property(Schema, "deploy")).Should().Equal(ManifestKeys.DeployKeys);
        Property(Schema, "services").GetProperty("additionalProperties").GetProperty("$ref").GetString()
            .Should().Be("#/$defs/service");
    }

    [Fact]
    public void Every_object_with_properties_rejects_unknown_ones_and_every_property_is_documented()
    {
        var undocumented = new List<string>();
        var open = new List<string>();
        Walk(Schema, "#");
        undocumented.Should().BeEmpty("descriptions double as user docs in the editor");
        open.Should().BeEmpty("the loader rejects unknown keys, so the schema must too");

        void Walk(JsonElement node, string path)
        {
            if (node.ValueKind != JsonValueKind.Object)
                return;
            if (node.TryGetProperty("properties", out var properties))
            {
                if (!node.TryGetProperty("additionalProperties", out var additional) || additional.ValueKind != JsonValueKind.False)
                    open.Add(path);
                foreach (var property in properties.EnumerateObject())
                {
                    // "false" properties (forbidden for a service type) are rules, not documentation.
                    if (property.Value.ValueKind == JsonValueKind.Object && !property.Value.TryGetProperty("description", out _))
                        undocumented.Add($"{path}/{property.Name}");
                }
            }

            foreach (var child in node.EnumerateObject())
            {
                // if/then/else only restate properties declared elsewhere; they need no additionalProperties.
                if (child.Name is not ("if" or "then" or "else"))
                    Walk(child.Value, $"{path}/{child.Name}");
                if (child.Value.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in child.Value.EnumerateArray())
                        Walk(item, $"{path}/{child.Name}[]");
                }
            }
        }
    }

    [Fact]
    public void Enums_and_patterns_match_the_loader()
    {
        Strings(Property(Service, "type").GetProperty("enum")).Should().Equal(ManifestKeys.ServiceTypes.Keys);
        Strings(Property(Service, "restart", "policy").GetProperty("enum")).Should().Equal(ManifestKeys.RestartPolicies.Keys);
        Strings(Property(Service, "strategy").GetProperty("enum")).Should().Equal(ManifestKeys.Strategies.Keys);
        Strings(Property(Schema, ManifestKeys.OtherFilesKey).GetProperty("enum")).Should().Equal(ManifestKeys.OtherFilesModes.Keys);
        Property(Schema, "name").GetProperty("pattern").GetString().Should().Be(ManifestKeys.NamePattern().ToString());
        Property(Schema, "services").GetProperty("propertyNames").GetProperty("pattern").GetString()
            .Should().Be(ManifestKeys.NamePattern().ToString());
        Property(Service, "path").GetProperty("pattern").GetString().Should().Be(ManifestKeys.RoutePattern().ToString());
        Property(Service, "replicas").GetProperty("maximum").GetInt32().Should().Be(ManifestKeys.MaxReplicas);
        Property(Service, "restart", "maxRetries").GetProperty("maximum").GetInt32().Should().Be(ManifestKeys.MaxRetries);

        var envNames = Property(Service, "env").GetProperty("propertyNames");
        envNames.GetProperty("pattern").GetString().Should().Be(ManifestKeys.EnvKeyPattern().ToString());
        Strings(envNames.GetProperty("not").GetProperty("enum")).Should().Equal(ManifestKeys.ReservedEnv);
    }

    [Fact]
    public void Routes_and_crons_match_the_loader()
    {
        var routes = Property(Schema, "routes");
        var rewrite = Property(routes, "rewrites").GetProperty("items");
        var redirect = Property(routes, "redirects").GetProperty("items");
        var headerRule = Property(routes, "headers").GetProperty("items");
        var header = Property(headerRule, "headers").GetProperty("items");
        var cron = Property(Schema, "crons").GetProperty("items");

        PropertyNames(routes).Should().Equal(ManifestKeys.RoutesKeys);
        PropertyNames(rewrite).Should().Equal(ManifestKeys.RewriteKeys);
        PropertyNames(redirect).Should().Equal(ManifestKeys.RedirectKeys);
        PropertyNames(headerRule).Should().Equal(ManifestKeys.HeaderRuleKeys);
        PropertyNames(header).Should().Equal(ManifestKeys.HeaderKeys);
        PropertyNames(cron).Should().Equal(ManifestKeys.CronKeys);
        PropertyNames(Property(routes, "cors").GetProperty("items")).Should().Equal(ManifestKeys.CorsKeys);
        PropertyNames(Property(routes, "rateLimits").GetProperty("items")).Should().Equal(ManifestKeys.RateLimitKeys);
        PropertyNames(Property(routes, "limits")).Should().Equal(ManifestKeys.LimitsKeys);

        foreach (var rule in (JsonElement[])[rewrite, redirect, headerRule])
            Property(rule, "source").GetProperty("pattern").GetString().Should().Be(ManifestKeys.SourcePattern().ToString());
        Property(rewrite, "destination").GetProperty("pattern").GetString().Should().Be(ManifestKeys.DestinationPattern().ToString());
        Property(redirect, "statusCode").GetProperty("enum").EnumerateArray().Select(code => code.GetInt32())
            .Should().Equal(ManifestKeys.RedirectStatusCodes);
        Property(header, "key").GetProperty("pattern").GetString().Should().Be(ManifestKeys.HeaderNamePattern().ToString());
        Property(cron, "name").GetProperty("pattern").GetString().Should().Be(ManifestKeys.NamePattern().ToString());
        Property(cron, "schedule").GetProperty("pattern").GetString().Should().Be(ManifestKeys.SchedulePattern().ToString());
        Property(cron, "path").GetProperty("pattern").GetString().Should().Be(ManifestKeys.SourcePattern().ToString());

        var defaults = new RoutesSpec();
        Property(routes, "cleanUrls").GetProperty("default").GetBoolean().Should().Be(defaults.CleanUrls);
        Property(redirect, "permanent").GetProperty("default").GetBoolean()
            .Should().Be(new RouteRedirect { Source = "/", Destination = "/" }.StatusCode == 308);
        Property(routes, "trailingSlash").TryGetProperty("default", out _).Should().BeFalse("left out means leave paths alone");
    }

    [Theory]
    [InlineData("0 3 * * *", true)]
    [InlineData("*/15 9-17 * * 1-5", true)]
    [InlineData("0 3 * *", false)]
    [InlineData("@daily", false)]
    [InlineData(" 0 3 * * *", false)]
    [InlineData("0 3 * * * *", false)]
    public void Schedule_pattern_accepts_exactly_five_fields(string schedule, bool valid)
    {
        var pattern = Property(Property(Schema, "crons").GetProperty("items"), "schedule").GetProperty("pattern").GetString()!;

        Regex.IsMatch(schedule, pattern, RegexOptions.ECMAScript).Should().Be(valid);
        ManifestKeys.SchedulePattern().IsMatch(schedule).Should().Be(valid);
    }

    [Fact]
    public void Defaults_match_the_spec_defaults()
    {
        var service = new ServiceSpec { Name = "web" };
        var deploy = new DeploySpec();

        ManifestKeys.ServiceTypes[Default(Property(Service, "type")).GetString()!].Should().Be(service.Type);
        Default(Property(Service, "root")).GetString().Should().Be(service.Root);
        Default(Property(Service, "spa")).GetBoolean().Should().Be(service.Spa);
        Default(Property(Service, "path")).GetString().Should().Be(service.Path);
        Default(Property(Service, "replicas")).GetInt32().Should().Be(service.Replicas);
        Default(Property(Service, "healthcheck", "path")).GetString().Should().Be(service.Healthcheck.Path);
        Duration(Property(Service, "healthcheck", "timeout")).Should().Be(service.Healthcheck.Timeout);
        Duration(Property(Service, "healthcheck", "interval")).Should().Be(service.Healthcheck.Interval);
        Duration(Property(Service, "healthcheck", "startTimeout")).Should().Be(service.Healthcheck.StartTimeout);
        ManifestKeys.RestartPolicies[Default(Property(Service, "restart", "policy")).GetString()!].Should().Be(service.Restart.Policy);
        ManifestKeys.OtherFilesModes[Default(Property(Schema, ManifestKeys.OtherFilesKey)).GetString()!].Should().Be(default(OtherFiles));
        Default(Property(Service, "restart", "maxRetries")).GetInt32().Should().Be(service.Restart.MaxRetries);
        // The strategy's default depends on the type, so the schema states it in words and allows only start-first
        // for anything but a worker (a static service forbids the key altogether).
        Property(Service, "strategy").TryGetProperty("default", out _).Should().BeFalse("the default depends on the type");
        Property(Service, "strategy").GetProperty("description").GetString().Should()
            .Contain("Default: stop-first for workers, start-first for web services");
        service.Strategy.Should().Be(RolloutStrategy.StartFirst);
        (service with { Type = ServiceType.Worker }).Strategy.Should().Be(RolloutStrategy.StopFirst);
        var typeRules = Service.GetProperty("allOf").EnumerateArray().ToList();
        typeRules.Single(r => r.GetProperty("if").GetProperty("properties").GetProperty("type").GetProperty("const").GetString() == "worker")
            .GetProperty("else").GetProperty("properties").GetProperty("strategy").GetProperty("const").GetString()
            .Should().Be(JsonSpellings.Of(RolloutStrategy.StartFirst));
        Duration(Property(Schema, "deploy", "drainTimeout")).Should().Be(deploy.DrainTimeout);
        Duration(Property(Schema, "deploy", "buildTimeout")).Should().Be(deploy.BuildTimeout);
        Duration(Property(Schema, "deploy", "releaseTimeout")).Should().Be(deploy.ReleaseTimeout);
        Duration(Property(Schema, "deploy", "stopTimeout")).Should().Be(deploy.StopTimeout);

        static JsonElement Default(JsonElement property) => property.GetProperty("default");

        static TimeSpan Duration(JsonElement property)
        {
            Durations.TryParse(Default(property), out var duration).Should().BeTrue();
            return duration;
        }
    }

    public static TheoryData<string> DurationSamples() =>
        new(DurationsTests.ValidSamples.Select(sample => sample.Text).Concat(DurationsTests.InvalidSamples));

    [Theory]
    [MemberData(nameof(DurationSamples))]
    public void Duration_pattern_accepts_exactly_what_the_parser_accepts(string sample)
    {
        var pattern = Schema.GetProperty("$defs").GetProperty("duration").GetProperty("oneOf")[0].GetProperty("pattern").GetString()!;

        // Overflow is the one thing a pattern cannot express.
        if (sample == "99999999999999h")
            return;
        Regex.IsMatch(sample, pattern, RegexOptions.ECMAScript).Should().Be(Durations.TryParse(sample, out _));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("apps/api")]
    [InlineData("./apps/api/")]
    [InlineData("a/..b")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a/../b")]
    [InlineData("a/..")]
    [InlineData("/abs")]
    [InlineData("C:/x")]
    [InlineData("a\\b")]
    public void Relative_directory_pattern_accepts_exactly_what_the_loader_accepts(string sample)
    {
        var pattern = Schema.GetProperty("$defs").GetProperty("relativeDirectory").GetProperty("pattern").GetString()!;

        Regex.IsMatch(sample, pattern, RegexOptions.ECMAScript)
            .Should().Be(ManifestReader.TryNormalizeRelative(sample, "inside", out _, out _));
    }
}
