namespace Slipway.Monitoring;

/// <summary>When a failed batch is tried again: exponential from <see cref="DrainsOptions.RetryBase"/>, doubling to
/// <see cref="DrainsOptions.RetryCap"/>, with equal jitter (half the step fixed, half random) so that many drains of
/// one receiver do not come back at the same instant. A refused batch waits the cap at once. A receiver's
/// Retry-After is honoured up to the cap.</summary>
internal static class DrainBackoff
{
    /// <param name="failures">Consecutive failed attempts, 1 after the first.</param>
    /// <param name="random">A number in [0, 1).</param>
    public static TimeSpan Next(int failures, DrainAttempt attempt, TimeSpan retryBase, TimeSpan cap, double random)
    {
        var step = attempt.Outcome == DrainOutcome.Refused
            ? cap
            : TimeSpan.FromTicks((long)Math.Min(cap.Ticks, retryBase.Ticks * Math.Pow(2, Math.Clamp(failures - 1, 0, 30))));
        var delay = (step / 2) + (step / 2 * random);
        return attempt.RetryAfter is { } asked && asked > delay ? TimeSpan.FromTicks(Math.Min(asked.Ticks, cap.Ticks)) : delay;
    }
}
