using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Slipway.Access;
using Slipway.Api;
using Slipway.Edge;
using Slipway.Jobs;
using Slipway.Manifests;
using Slipway.Monitoring;
using Slipway.Runtime;
using Slipway.State;

// Not Slipway.Tests.Api: that namespace would hide Slipway.Api from the tests that write Api.AppViews and the like.
namespace Slipway.Tests;

/// <summary>The source-generated metadata (<see cref="SlipwayJsonContext"/>) only spares reflection: every options
/// instance <see cref="JsonSpellings"/> makes writes and reads exactly what reflection alone did.</summary>
public sealed class SlipwayJsonContextTests
{
    private static readonly DateTimeOffset Created = new(2026, 12, 3, 6, 0, 0, 123, TimeSpan.FromHours(2));

    private static readonly DeploymentDto Deployment = new("d-qzgq7s9k", 9, "a1", DeploymentKind.Rollback, DeploymentStatus.HealthChecking,
        "health-check", "no answer", "/tmp/src", "0123abc", "d-4d40gyze", Created, null, 12.5);

    /// <summary>What the API answers and the CLI prints, with every kind of member the spellings touch: times (also
    /// nullable), durations, kebab-case enums, [JsonIgnore] when null, dictionaries, arrays, nested records.</summary>
    public static TheoryData<string, object> Exchanged() => new()
    {
        { "app", new AppDto("a1", "a1", "production", "running", ["http://a1.localhost:28555"], Deployment,
            [
                new InstanceDto("i-6y6xq82q", "web", 0, InstanceState.Healthy, 3880, 34113, 0, 1, 25, "serving", 16_000_000, 1_073_741_824, null, 0.5, 1.25, 0),
                new InstanceDto("i-d1ezygm0", "worker", 1, InstanceState.Restarting, null, null, 3, 0, 0, "old"),
            ],
            ["web", "worker"], ["a1.localhost", "shop.example"], new DiskDto(2_300_000, 0, "not enforced")) },
        { "app-list", new List<AppDto> { new("a2", "a2", "staging", "stopped", [], null, [], [], ["a2.localhost"]) } },
        { "deployment", Deployment },
        { "deployments", new List<DeploymentDto> { Deployment, Deployment with { Kind = DeploymentKind.Deploy, Status = DeploymentStatus.Live, FinishedAt = Created.AddMinutes(1) } } },
        { "cron-run", new CronRunRecord("r-1", "a1", "daily-sync", "d-qzgq7s9k", CronTrigger.Manual, null, "2026-12-03T06:00:00.000Z", null,
            CronRunStatus.TimedOut, 2, 504, null, 300_000, "partial output", "timed out") },
        { "cron-view", new List<CronView> { new("rollup", "*/15 * * * *", "UTC", "command", "jobs: node rollup.js", "skip", 2, "run-once", null, null) } },
        { "message", new MessageView("m-1", MessageStatus.Pending, "web:/hook", "POST", "2026-12-03T06:00:00.000Z", 0, 5, null, null, "2026-12-03T05:59:00.000Z", null) },
        { "events", new List<EventDto> { new(Created, "deployment.live", "deploy d-qzgq7s9k is live", "d-qzgq7s9k") } },
        { "token", new TokenDto("t-1", "ci", "slw_ab…", new GrantDto(Role.Deployer, "a1", null, "a1 (every environment)"), "owner", Created,
            Created.AddDays(90), null, null, null, "slw_secret") },
        { "whoami", new WhoAmIDto("owner", PrincipalKind.Local, [new GrantDto(Role.Owner, null, null, "platform")], null) },
        { "destroy-plan", new DestroyPlanDto("a1", "production", 9, 3, ["a1.localhost"], false,
            [new DestroyDatabaseDto("main", "postgres", "a1_main", "local", null, DatabaseFate.BackedUpThenDropped)]) },
        { "metrics", new List<SeriesSnapshot> { new("a1", "web", "/api/:id", 25, new Dictionary<string, long> { ["2xx"] = 24, ["5xx"] = 1 }, [1, 2, 3, 0], 4.5, 3, 9.75, 12) } },
        { "drains", new List<DrainView> { new("papertrail", "a1", "staging", DrainKind.Syslog, "tls://logs.example.com:6514", [], true, false,
            DrainState.Failing, 10_000, 3, 250, Created, "the receiver answered 503 Service Unavailable", Created.AddMinutes(1), Created) } },
        { "drain-add", new DrainAddBody("datadog", "https://http-intake.example.com/v1/input", null, ["DD-API-KEY: k"], false, true, null) },
        { "channels", new List<Slipway.Monitoring.Alerts.Channels.ChannelView> { new("ops", Slipway.Monitoring.Alerts.Channels.ChannelKind.Email,
            "ops@example.com via smtps://***@mail.example.com:465", Slipway.Monitoring.Alerts.AlertSeverity.Critical, ["shop"],
            Slipway.Monitoring.Alerts.Channels.ChannelState.Failing, 3, 1, 2, 1, Created, "the SMTP server answered 451", Created.AddMinutes(1), Created) } },
        { "channel-test", new Slipway.Monitoring.Alerts.Channels.ChannelTestResult("ops", Slipway.Monitoring.Alerts.Channels.ChannelKind.Webhook,
            "https://hooks.example.com/***", true, 120, null) },
        { "channel-add", new ChannelAddBody("ops", null, null, null, "ops@example.com", "smtp://127.0.0.1:25", null, null, null, "critical", ["shop"]) },
        { "user-body", new UserBody("ana", "pw", Role.Admin, "a1", null) },
        { "config-change", new ConfigChangeBody(new Dictionary<string, string> { ["A"] = "1" }, ["B"], Secret: true) },
        { "storage-sync", new SyncDto(null, 0, 0, 2, null, [new FailingStoreDto("mine", "the bucket b could not be reached", Created)]) },
        { "storage-removed", new StorageRemovedDto("mine", "shop/main", "shop db main", null, 0) },
        { "metrics-chart", new MetricsChartView(Created.AddHours(-1), Created, 60, "web", null,
            new MetricsChartTotals(3, new Dictionary<string, long> { ["2xx"] = 2, ["5xx"] = 1 }, 4.5, 2.5, 9.75, 12),
            [new MetricsSeriesTotals("web", "/api/:id", 3, 1, 2.5, 9.75, 12)], [1_796_000_000, 1_796_000_060], [0, 3],
            new Dictionary<string, long[]> { ["2xx"] = [0, 2], ["5xx"] = [0, 1] }, [null, 2.5], [null, 9.75], [null, 12]) },
        { "config-change-secrets", new ConfigChangeBody(new Dictionary<string, string> { ["A"] = "1", ["B"] = "2" }, null, Secret: false, Secrets: ["B"]) },
        { "config-reveal", new ConfigRevealBody("pw", "TOKEN") },
        { "redeploy", new RedeployBody("d-qzgq7s9k") },
        { "deployment-by", Deployment with { RequestedBy = "webhook (github)" } },
    };

    /// <summary>The above and the app spec (left to reflection, see <see cref="SlipwayJsonContext"/>): durations.</summary>
    public static TheoryData<string, object> Samples()
    {
        var all = Exchanged();
        all.Add("spec", Spec());
        return all;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Writes_what_reflection_alone_writes(string name, object value)
    {
        foreach (var indented in new[] { false, true })
        {
            var expected = JsonSerializer.Serialize(value, value.GetType(), ReflectionOnly(indented));

            JsonSerializer.Serialize(value, value.GetType(), JsonSpellings.Web(indented)).Should().Be(expected, name);
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Reads_what_reflection_alone_reads(string name, object value)
    {
        var reflection = ReflectionOnly(indented: false);
        var json = JsonSerializer.Serialize(value, value.GetType(), reflection);

        var read = JsonSerializer.Deserialize(json, value.GetType(), JsonSpellings.Web());

        JsonSerializer.Serialize(read, value.GetType(), reflection).Should().Be(json, name);
    }

    [Theory]
    [MemberData(nameof(Exchanged))]
    public void What_the_API_and_the_CLI_exchange_comes_from_the_generated_metadata(string name, object value)
    {
        JsonSpellings.Web().GetTypeInfo(value.GetType()).OriginatingResolver.Should().BeSameAs(SlipwayJsonContext.Default, name);
    }

    [Fact]
    public void The_app_spec_is_read_by_reflection()
    {
        // Its ServiceSpec.Strategy defaults by type when a recorded release has no "strategy", which the generated
        // metadata would lose (see SlipwayJsonContext).
        JsonSpellings.Web().GetTypeInfo(typeof(AppSpec)).OriginatingResolver.Should().NotBeSameAs(SlipwayJsonContext.Default);
        JsonSpellings.Web().GetTypeInfo(typeof(ServiceSpec)).OriginatingResolver.Should().NotBeSameAs(SlipwayJsonContext.Default);
    }

    [Fact]
    public void Every_options_instance_asks_the_generated_metadata_first_and_reflection_after_it()
    {
        var options = JsonSpellings.Web();

        options.TypeInfoResolverChain.Should().HaveCount(2);
        options.TypeInfoResolverChain[0].Should().BeSameAs(SlipwayJsonContext.Default);
        options.TypeInfoResolverChain[1].Should().BeOfType<DefaultJsonTypeInfoResolver>();
        // A type the context does not list is still written (by reflection), in the same spellings.
        JsonSerializer.Serialize(new { at = Created, every = TimeSpan.FromSeconds(90), kind = DeploymentKind.Promote }, options)
            .Should().Be("""{"at":"2026-12-03T04:00:00.123Z","every":"1m30s","kind":"promote"}""");
    }

    [Fact]
    public void The_API_keeps_its_own_resolver_behind_the_generated_metadata()
    {
        var options = new Microsoft.AspNetCore.Http.Json.JsonOptions().SerializerOptions;
        var before = options.TypeInfoResolverChain.ToList();

        JsonSpellings.AddTo(options);

        options.TypeInfoResolverChain.Should().Equal([SlipwayJsonContext.Default, .. before]);
        JsonSerializer.Serialize(Deployment, options).Should().Be(JsonSerializer.Serialize(Deployment, ReflectionOnly(indented: false)));
    }

    [Fact]
    public void Reads_the_spellings_of_releases_recorded_before_them()
    {
        // Durations as .NET wrote them, enums by member name: what Release.Json must still read.
        const string Recorded = """
            {"services":[{"name":"jobs","type":"Worker","restart":{"policy":"OnFailure"},"healthcheck":{"timeout":"00:00:07"}}],
             "deploy":{"drainTimeout":"00:00:30","stopTimeout":12}}
            """;

        var spec = JsonSerializer.Deserialize<AppSpec>(Recorded, JsonSpellings.Web())!;

        spec.Services.Single().Type.Should().Be(ServiceType.Worker);
        spec.Services.Single().Strategy.Should().Be(RolloutStrategy.StopFirst);
        spec.Services.Single().Healthcheck.Timeout.Should().Be(TimeSpan.FromSeconds(7));
        spec.Deploy.DrainTimeout.Should().Be(TimeSpan.FromSeconds(30));
        spec.Deploy.StopTimeout.Should().Be(TimeSpan.FromSeconds(12));
        JsonSerializer.Serialize(spec, JsonSpellings.Web())
            .Should().Be(JsonSerializer.Serialize(JsonSerializer.Deserialize<AppSpec>(Recorded, ReflectionOnly(indented: false)), ReflectionOnly(indented: false)));
    }

    /// <summary>The options as they were before the generated metadata: Web defaults, Slipway's converters, reflection.</summary>
    private static JsonSerializerOptions ReflectionOnly(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = indented, TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        options.Converters.Add(new JsonSpellings.UtcTimeConverter());
        options.Converters.Add(new JsonSpellings.DurationConverter());
        return options;
    }

    private static AppSpec Spec() => new()
    {
        Name = "shop",
        Services =
        [
            new ServiceSpec
            {
                Name = "web", Start = "node server.js", Install = "npm ci", Path = "/",
                Healthcheck = new HealthcheckSpec { Path = "/health", Timeout = TimeSpan.FromMilliseconds(1500), StartTimeout = TimeSpan.FromMinutes(2) },
                Restart = new RestartSpec { Policy = RestartPolicy.Always, MaxRetries = 3 },
                Env = new Dictionary<string, string> { ["NODE_ENV"] = "production" },
                Resources = new ResourcesSpec(512L << 20, 0.5, 64),
            },
            new ServiceSpec { Name = "jobs", Type = ServiceType.Worker, Start = "node jobs.js", Strategy = RolloutStrategy.StartFirst },
        ],
        Deploy = new DeploySpec { DrainTimeout = TimeSpan.FromSeconds(90), BuildMemoryBytes = 1L << 30 },
        Routes = new RoutesSpec
        {
            Redirects = [new RouteRedirect { Source = "/old", Destination = "/new", StatusCode = 308 }],
            Headers = [new RouteHeaders { Source = "/widget.js", Headers = [new HeaderValue("Access-Control-Allow-Origin", "*")] }],
            TrailingSlash = false,
        },
        Crons = [new CronSpec { Name = "rollup", Schedule = "*/15 * * * *", Command = "node rollup.js", Service = "jobs", Concurrency = CronConcurrency.Allow, Missed = CronMissed.Skip }],
        Variables = [new VariableSpec { Name = "PORT_LIMIT", Type = VariableType.List, Items = VariableType.Duration, Values = ["1s"], Secret = true }],
        Databases = [new DatabaseSpec { Name = "main", Var = "DATABASE_URL", Type = DatabaseType.Redis }],
        Volumes = [new VolumeSpec("uploads", "/data/uploads")],
    };
}
