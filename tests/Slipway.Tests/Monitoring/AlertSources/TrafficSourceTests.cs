using Slipway.Edge;
using Slipway.Monitoring;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;

namespace Slipway.Tests.Monitoring.AlertSources;

/// <summary>"error-rate", "latency" and custom traffic rules over the per-minute history: the edge's real counters
/// rolled up minute by minute into DATA/metrics.db, read back as merged windows of complete minutes.</summary>
public sealed class TrafficSourceTests : IDisposable
{
    private static readonly AppRoute Shop = new("shop", "d-1", ["shop.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop") };
    private static readonly AppRoute Staging = new("shop-staging", "d-2", ["shop-staging.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop", "staging") };

    private readonly SourceHarness _h = new();
    private readonly AccessMetrics _metrics = new();
    private readonly MetricsHistory _history;
    private readonly TrafficSource _source;

    public TrafficSourceTests()
    {
        _history = new MetricsHistory(Path.Combine(_h.Dir, "metrics.db"), _metrics, _h.Clock);
        _source = new TrafficSource(_history, _h.Store);
        _h.Store.EnsureApp(AppRef.Of("shop"));
        _h.Store.EnsureApp(AppRef.Of("shop", "staging"));
        _h.Store.EnsureApp(AppRef.Of("blog"));
    }

    public void Dispose() => _h.Dispose();

    [Fact]
    public void An_error_rate_over_the_threshold_of_enough_requests_fires_and_resolves_when_the_window_is_clean()
    {
        for (var minute = 0; minute < 5; minute++)
        {
            Minute(() =>
            {
                Requests(Shop, "web", "/", 37, 200, 4);
                Requests(Shop, "web", "/", 3, 503, 4);
                Requests(Staging, "web", "/", 5, 200, 4);
                Requests(Staging, "web", "/", 5, 500, 4);
            });
        }
        // Counted in the running minute (even stored, as at a platform stop): not a complete minute, not in the window.
        Requests(Shop, "web", "/", 1000, 500, 4);
        _history.RollUp(current: true);

        var signal = _h.Evaluate(_source).Should().ContainSingle("staging's 50 requests are under the 100 needed").Subject;

        signal.Should().BeEquivalentTo(new
        {
            Rule = "error-rate", Subject = "traffic", App = "shop", Severity = AlertSeverity.Critical,
            Title = "shop: 5xx rate 7.5% over 5m (threshold 5%)",
        });
        signal.Detail.Should().StartWith("15 of 200 requests answered 5xx from 2026-12-04 10:00 UTC to 2026-12-04 10:05 UTC")
            .And.Contain("slipway metrics --app shop --since 1h");

        _h.Set("error-rate", "shop", new AlertRuleSettings(Over: 8));
        _h.Evaluate(_source).Should().BeEmpty("7.5% is under 8%");
        _h.Set("error-rate", "shop", new AlertRuleSettings(MinRequests: 201));
        _h.Evaluate(_source).Should().BeEmpty("200 requests are under 201");
        _h.Set("error-rate", "shop", new AlertRuleSettings(Enabled: false));
        _h.Set("error-rate", "shop-staging", new AlertRuleSettings(MinRequests: 50));
        _h.Evaluate(_source).Should().ContainSingle().Which.Title.Should().Be("shop (staging): 5xx rate 50% over 5m (threshold 5%)");
        _h.Clear();
        _h.Set("error-rate", "shop", new AlertRuleSettings(For: TimeSpan.FromMinutes(2), MinRequests: 50));
        _h.Evaluate(_source).Should().ContainSingle().Which.Detail.Should().StartWith("6 of 80 requests", "a 2-minute window holds 2 minutes");
        _h.Clear();

        for (var minute = 0; minute < 5; minute++)
        {
            Minute(() => Requests(Shop, "web", "/", 200, 200, 4));
        }
        _h.Evaluate(_source).Should().ContainSingle().Which.Detail.Should().StartWith("1000 of 2000 requests answered 5xx from 2026-12-04 10:05 UTC",
            "the minute stored at the stop is counted once it is complete, and once");
        Minute(() => Requests(Shop, "web", "/", 200, 200, 4));
        _h.Evaluate(_source).Should().BeEmpty("the last 5 complete minutes had no 5xx");
    }

    [Fact]
    public void A_slow_p95_fires_and_custom_rules_measure_a_service_route_or_the_request_rate()
    {
        for (var minute = 0; minute < 5; minute++)
        {
            Minute(() =>
            {
                Requests(Shop, "web", "/api", 30, 200, 1500);
                Requests(Shop, "web", "/", 100, 200, 2);
                Requests(Staging, "web", "/", 19, 200, 5000);
            });
        }

        var latency = _h.Evaluate(_source);
        latency.Select(s => (s.Rule, s.Subject, s.App, s.Severity)).Should().Equal(
            ("latency", "traffic", "shop", AlertSeverity.Warning), ("latency", "traffic", "shop-staging", AlertSeverity.Warning));
        latency[0].Title.Should().MatchRegex(@"^shop: p95 latency 2\.1\d s over 5m \(threshold 1 s\)$");
        _h.Set("latency", "shop", new AlertRuleSettings(Over: 3));
        _h.Set("latency", "shop-staging", new AlertRuleSettings(MinRequests: 96));
        _h.Evaluate(_source).Should().BeEmpty("p95 2.2 s is under 3 s, and staging's 95 requests are under 96");
        _h.Clear();

        CustomAlertRule Rule(string name, string app, TrafficMetric metric, double? over = null, double? under = null, int minRequests = 20,
            string? service = null, string? route = null) =>
            new(name, app, metric, over, under, TimeSpan.FromMinutes(5), minRequests, service, route, AlertSeverity.Critical, ["pager"]);
        _h.Set("latency", "shop", new AlertRuleSettings(Enabled: false));
        _h.Set("latency", "shop-staging", new AlertRuleSettings(Enabled: false));
        var custom = _h.Evaluate(_source,
            Rule("slow-api", "shop", TrafficMetric.P95, over: 1, service: "web", route: "/api"),
            Rule("slow-home", "shop", TrafficMetric.P99, over: 0.5, route: "/"),
            Rule("quiet-shop", "shop", TrafficMetric.Rpm, under: 200),
            Rule("busy-shop", "shop", TrafficMetric.Rpm, over: 200),
            Rule("quiet-blog", "blog", TrafficMetric.Rpm, under: 1),
            Rule("errors", "shop", TrafficMetric.ErrorRate, over: 0.1, minRequests: 1000),
            Rule("staging-slow", "shop-staging", TrafficMetric.P50, over: 3));

        custom.Select(s => (s.Rule, s.Subject, s.App, s.Severity)).Should().Equal(
            ("slow-api", "custom", "shop", AlertSeverity.Critical),
            ("quiet-shop", "custom", "shop", AlertSeverity.Critical),
            ("quiet-blog", "custom", "blog", AlertSeverity.Critical),
            ("staging-slow", "custom", "shop-staging", AlertSeverity.Critical));
        custom[0].Title.Should().MatchRegex(@"^shop web /api: p95 latency 2\.4\d s over 5m \(threshold 1 s\)$");
        custom[1].Title.Should().Be("shop: 130 requests/min over 5m (under 200 requests/min)");
        custom[2].Title.Should().Be("blog: 0 requests/min over 5m (under 1 requests/min)", "no traffic at all is what an rpm-under rule is for");
        custom[3].Title.Should().StartWith("shop (staging): p50 latency ");
    }

    private void Minute(Action requests)
    {
        requests();
        _h.Clock.Advance(TimeSpan.FromMinutes(1));
        _history.RollUp();
    }

    private void Requests(AppRoute app, string service, string route, int count, int status, double ms)
    {
        for (var i = 0; i < count; i++)
        {
            _metrics.Record(app, service, route, status, TimeSpan.FromMilliseconds(ms));
        }
    }
}
