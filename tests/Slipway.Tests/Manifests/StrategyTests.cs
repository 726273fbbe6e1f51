using System.Text.Json;
using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>services.NAME.strategy: how a rollout replaces a service's instances. Workers stop first by default (one
/// copy of a queue consumer at a time), web services start first (no downtime), and only workers may choose.</summary>
public sealed class StrategyTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void The_default_follows_the_type_and_a_worker_may_choose_start_first()
    {
        _source.Manifest("""
            {
              "services": {
                "web": { "start": "node server.js" },
                "api": { "type": "web", "start": "node api.js", "path": "/api", "strategy": "start-first" },
                "jobs": { "type": "worker", "start": "node jobs.js" },
                "mailer": { "type": "worker", "start": "node mailer.js", "strategy": "start-first" },
                "emails": { "type": "worker", "start": "node emails.js", "strategy": "stop-first" }
              }
            }
            """);

        var strategies = LoadOk(_source).Spec.Services.ToDictionary(s => s.Name, s => s.Strategy);

        strategies.Should().Equal(new Dictionary<string, RolloutStrategy>
        {
            ["web"] = RolloutStrategy.StartFirst,
            ["api"] = RolloutStrategy.StartFirst,
            ["jobs"] = RolloutStrategy.StopFirst,
            ["mailer"] = RolloutStrategy.StartFirst,
            ["emails"] = RolloutStrategy.StopFirst,
        });
    }

    [Fact]
    public void A_bad_value_is_an_error_at_its_key_path_with_the_choices()
    {
        _source.Manifest("""{ "services": { "jobs": { "type": "worker", "start": "x", "strategy": "stopfirst" } } }""");

        var error = LoadInvalid(_source).SingleErrorAt("services.jobs.strategy");

        error.Message.Should().Contain("\"start-first\", \"stop-first\"").And.Contain("did you mean \"stop-first\"?");
    }

    [Fact]
    public void Stop_first_is_refused_for_web_services_and_any_strategy_for_static_ones()
    {
        _source.File("dist/index.html", "<h1>hi</h1>").Manifest("""
            {
              "services": {
                "web": { "start": "node server.js", "strategy": "stop-first" },
                "site": { "type": "static", "output": "dist", "path": "/site", "strategy": "start-first" }
              }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.Errors.Select(error => error.Path).Should().BeEquivalentTo(["services.web.strategy", "services.site.strategy"],
            because: invalid.Message);
        invalid.SingleErrorAt("services.web.strategy").Message.Should().Contain("is for workers").And.Contain("\"type\": \"worker\"");
        invalid.SingleErrorAt("services.site.strategy").Message.Should().Contain("run no process");
    }

    [Fact]
    public void A_misspelled_type_reports_the_type_alone()
    {
        _source.Manifest("""{ "services": { "jobs": { "type": "wroker", "start": "x", "strategy": "stop-first" } } }""");

        LoadInvalid(_source).Errors.Select(error => error.Path).Should().Equal("services.jobs.type");
    }

    [Fact]
    public void Strategy_at_the_top_level_is_pointed_to_the_service()
    {
        _source.Manifest("""{ "strategy": "stop-first", "services": { "web": { "start": "x" } } }""");

        LoadInvalid(_source).SingleErrorAt("strategy").Message.Should().Contain("services.<name>.strategy");
    }

    [Fact]
    public void Recorded_specs_keep_their_strategy_and_ones_recorded_before_the_key_get_the_type_default()
    {
        var options = Slipway.Deploy.Release.Json;
        var worker = new ServiceSpec { Name = "jobs", Type = ServiceType.Worker, Strategy = RolloutStrategy.StartFirst };

        var json = JsonSerializer.Serialize(worker, options);
        json.Should().Contain("\"strategy\":\"start-first\"");
        JsonSerializer.Deserialize<ServiceSpec>(json, options)!.Strategy.Should().Be(RolloutStrategy.StartFirst);

        JsonSerializer.Deserialize<ServiceSpec>("""{ "name": "jobs", "type": "worker" }""", options)!.Strategy
            .Should().Be(RolloutStrategy.StopFirst);
        JsonSerializer.Deserialize<ServiceSpec>("""{ "name": "web", "type": "web" }""", options)!.Strategy
            .Should().Be(RolloutStrategy.StartFirst);
    }
}
