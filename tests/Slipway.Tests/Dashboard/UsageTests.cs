using Slipway.Dashboard;

namespace Slipway.Tests.Dashboard;

/// <summary>How the deployments page prints what an instance uses.</summary>
public sealed class UsageTests
{
    [Theory]
    [InlineData(null, "not measured")]
    [InlineData(0.0, "0 % of a core")]
    [InlineData(0.44, "0.4 % of a core")]
    [InlineData(12.6, "13 % of a core")]
    [InlineData(180.0, "180 % of a core")]
    public void Cpu(double? percent, string expected) => Usage.Cpu(percent).Should().Be(expected);

    [Theory]
    [InlineData(null, null, "not measured")]
    [InlineData(512L, null, "512 B")]
    [InlineData(16_000_000L, null, "15 MiB")]
    [InlineData(5_000_000L, null, "4.8 MiB")]
    [InlineData(50_331_648L, 536_870_912L, "48 MiB of 512 MiB")]
    [InlineData(3L * 1024 * 1024 * 1024 / 2, 4L * 1024 * 1024 * 1024, "1.5 GiB of 4 GiB")]
    public void Memory(long? bytes, long? limit, string expected) => Usage.Memory(bytes, limit).Should().Be(expected);

    [Theory]
    [InlineData("healthy", "good")]
    [InlineData("unhealthy", "bad")]
    [InlineData("crashed", "bad")]
    [InlineData("starting", "busy")]
    [InlineData("stopped", "idle")]
    public void The_state_badge_is_a_word_with_a_colour(string state, string kind) => Usage.StateKind(state).Should().Be(kind);
}
