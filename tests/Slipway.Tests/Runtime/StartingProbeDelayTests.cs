using Slipway.Runtime;

namespace Slipway.Tests.Runtime;

public sealed class StartingProbeDelayTests
{
    [Theory]
    [InlineData(0, 500, 20)] // just launched: probe again almost at once
    [InlineData(150, 500, 20)]
    [InlineData(1000, 500, 100)] // a tenth of the wait so far
    [InlineData(3000, 500, 300)]
    [InlineData(60000, 500, 500)] // never slower than the declared interval
    [InlineData(0, 10, 10)] // nor slower than a declared interval shorter than the floor
    public void A_starting_instance_is_probed_often_at_first_and_backs_off_to_its_interval(int waitedMs, int intervalMs, int expectedMs) =>
        Instance.StartingProbeDelay(TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromMilliseconds(waitedMs))
            .Should().Be(TimeSpan.FromMilliseconds(expectedMs));
}
