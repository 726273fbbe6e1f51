using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Deploy;
using Slipway.Manifests;

namespace Slipway.Tests.Deploy;

public sealed class RecordedReleaseWarmUpTests
{
    /// <summary>The platform warms the spec's JSON metadata with this sample before Recovery reads the live releases: it
    /// must be a spec as a release records it, every property spelled as written today (a renamed or added property
    /// shows here, so the sample keeps covering what Recovery reads).</summary>
    [Fact]
    public void The_warm_up_sample_is_a_recorded_spec_with_every_property_of_today()
    {
        RecordedReleases.WarmUp();
        var spec = JsonSerializer.Deserialize<AppSpec>(RecordedReleases.WarmUpSpec, Release.Json)!;
        spec.Services.Should().ContainSingle().Which.Healthcheck!.Path.Should().Be("/health");
        var written = JsonNode.Parse(JsonSerializer.Serialize(spec, Release.Json))!.AsObject();
        var sample = JsonNode.Parse(RecordedReleases.WarmUpSpec)!.AsObject();
        Keys(written).Should().BeEquivalentTo(Keys(sample));
        Keys(written["services"]![0]!.AsObject()).Should().BeEquivalentTo(Keys(sample["services"]![0]!.AsObject()));
    }

    private static IEnumerable<string> Keys(JsonObject o) => o.Select(p => p.Key);
}
