namespace Slipway.Tests.Edge.Tls;

/// <summary>The real clock moved by a fixed offset (timers stay real, so polling still runs).</summary>
internal sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
}
