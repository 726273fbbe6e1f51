using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>The top-level "alerts": built-in rules adjusted or turned off, custom rules over the app's traffic, every
/// mistake reported at its key path.</summary>
public sealed class AlertsManifestTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Built_in_rules_are_adjusted_or_turned_off_and_custom_rules_read_in_their_units()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "node server.js" } },
              "alerts": {
                "error-rate": { "over": "10%", "for": "10m", "minRequests": 200, "channels": ["ops"] },
                "latency": { "over": 2 },
                "oom-kill": false,
                "cron-failed": { "count": 5, "severity": "critical" },
                "slow-checkout": { "metric": "p95", "route": "/checkout", "over": "800ms" },
                "no-traffic": { "metric": "rpm", "under": 1, "for": "15m", "service": "web" }
              }
            }
            """);

        var alerts = LoadOk(_source).Spec.Alerts.ToDictionary(a => a.Name);

        alerts["error-rate"].Should().BeEquivalentTo(new { Over = 10.0, For = TimeSpan.FromMinutes(10), MinRequests = 200, Channels = new[] { "ops" }, IsCustom = false });
        alerts["latency"].Over.Should().Be(2);
        alerts["oom-kill"].Enabled.Should().BeFalse();
        alerts["cron-failed"].Should().BeEquivalentTo(new { Count = 5, Severity = "critical" });
        alerts["slow-checkout"].Should().BeEquivalentTo(new { Metric = "p95", Over = 0.8, Route = "/checkout", IsCustom = true });
        alerts["no-traffic"].Should().BeEquivalentTo(new { Metric = "rpm", Under = 1.0, Over = (double?)null, For = TimeSpan.FromMinutes(15), Service = "web" });
    }

    [Fact]
    public void Every_mistake_is_reported_at_its_key_path()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "node server.js" } },
              "alerts": {
                "error-rate": { "over": "lots", "count": 3 },
                "uptime": { "over": "5%" },
                "disk": { "over": "5%" },
                "eror-rate": { "over": "5%" },
                "slow": { "metric": "p42", "over": "1s" },
                "both": { "metric": "p95", "over": "1s", "under": "2s" },
                "Bad_Name": { "metric": "p95", "over": "1s" },
                "custom-bool": true,
                "long": { "metric": "error-rate", "over": "5%", "for": "24h" }
              }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.SingleErrorAt("alerts.error-rate.over").Message.Should().Contain("expected a percentage like \"5%\"");
        invalid.SingleErrorAt("alerts.error-rate.count").Message.Should().Contain("error-rate has no count");
        invalid.SingleErrorAt("alerts.uptime.over").Message.Should().Contain("uptime has no threshold");
        invalid.SingleErrorAt("alerts.disk").Message.Should().Contain("slipway alerts set disk --platform");
        invalid.SingleErrorAt("alerts.eror-rate.metric").Message.Should().Contain("did you mean \"error-rate\"?");
        invalid.SingleErrorAt("alerts.slow.metric").Message.Should().Contain("\"p95\"");
        invalid.SingleErrorAt("alerts.both.under").Message.Should().Contain("either \"over\" or \"under\"");
        invalid.SingleErrorAt("alerts.Bad_Name").Message.Should().Contain("cannot be a rule name");
        invalid.SingleErrorAt("alerts.custom-bool").Message.Should().Contain("not a built-in rule");
        invalid.SingleErrorAt("alerts.long.for").Message.Should().Contain("at most 1 hour for a custom rule");
    }
}
