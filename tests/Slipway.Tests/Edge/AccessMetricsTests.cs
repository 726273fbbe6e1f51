using System.Diagnostics.Metrics;
using Slipway.Edge;

namespace Slipway.Tests.Edge;

/// <summary>The edge's request counting: bounded series, and the same requests in the OpenTelemetry instruments
/// with the names users give (app and env, not the store key).</summary>
public sealed class AccessMetricsTests
{
    [Fact]
    public void Past_the_cap_a_new_series_is_dropped_and_counted_and_known_ones_keep_counting()
    {
        var metrics = new AccessMetrics(maxSeries: 2);
        var shop = new AppRoute("shop", "d-1", ["shop.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop") };
        metrics.Record(shop, "web", "/", 200, TimeSpan.FromMilliseconds(1));
        metrics.Record(shop, "web", "/api/*", 200, TimeSpan.FromMilliseconds(1));
        metrics.Record(shop, "web", "/admin/*", 200, TimeSpan.FromMilliseconds(1));
        metrics.Record(shop, "web", "/", 500, TimeSpan.FromMilliseconds(1));
        metrics.DroppedSeries.Should().Be(1);
        metrics.Snapshot("shop").Select(s => (s.Route, s.Requests)).Should().BeEquivalentTo([("/", 2L), ("/api/*", 1L)]);
    }

    [Fact]
    public void Each_request_reaches_the_instruments_labelled_with_app_env_service_route_and_status_class()
    {
        using var factory = new TestMeterFactory();
        var metrics = new AccessMetrics(factory);
        var seen = new List<(string Instrument, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => seen.Add((i.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => seen.Add((i.Name, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        var staging = new AppRoute("shop-staging", "d-2", ["shop-staging.localhost"], [], EdgeRules.None) { Ref = AppRef.Of("shop", "staging") };
        metrics.Record(staging, "api", "/v1/*", 404, TimeSpan.FromMilliseconds(3));

        var counted = seen.Single(s => s.Instrument == "slipway.http.server.requests").Tags;
        counted.Should().BeEquivalentTo(new Dictionary<string, object?>
        {
            ["app"] = "shop", ["env"] = "staging", ["service"] = "api", ["route"] = "/v1/*", ["status_class"] = "4xx",
        });
        seen.Single(s => s.Instrument == "slipway.http.server.request.duration").Tags.Should().NotContainKey("status_class");
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
