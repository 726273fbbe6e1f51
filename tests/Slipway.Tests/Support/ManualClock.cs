namespace Slipway.Tests.Support;

/// <summary>A clock tests move by hand (Microsoft.Extensions.TimeProvider.Testing does not restore here).
/// Only "now" is manual; timers still run on real time, which is all the jobs clock is used for.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ManualClock() : this(DateTimeOffset.UtcNow)
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    /// <summary>Moves to <paramref name="at"/> (never backwards).</summary>
    public void MoveTo(DateTimeOffset at)
    {
        var now = GetUtcNow();
        if (at > now)
        {
            Advance(at - now);
        }
    }
}
