using Slipway.Manifests;

namespace Slipway.Runtime;

/// <summary>The one restart policy for everything the platform supervises: app instances (as their manifest's
/// `restart` says) and the servers it runs itself (PostgreSQL, redis-server: always, without limit).
///
///   exit ──► policy allows it? ──no──► stay down (Exited for code 0, Crashed otherwise)
///              │ yes
///              ▼
///   failures in a row (reset to 1 after StableAfter of running) > maxRetries? ──yes──► stay down
///              │ no
///              ▼
///   wait: the first restart at once (a kill -9 is back in well under 2 s), then 0.5 s, 1 s, 2 s ... 15 s
/// </summary>
internal sealed class RestartBackoff(RestartSpec spec, TimeProvider clock)
{
    /// <summary>A process that ran this long before it exited counts as the first failure of a new series.</summary>
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(15);

    /// <summary>Servers the platform runs for the apps: restarted whatever their exit, for as long as it runs.</summary>
    public static readonly RestartSpec Servers = new() { Policy = RestartPolicy.Always, MaxRetries = int.MaxValue };

    private DateTimeOffset _startedAt = clock.GetUtcNow();

    public int FailuresInARow { get; private set; }

    public RestartSpec Spec => spec;

    /// <summary>Call when the process (re)starts: how long it then runs decides whether its exit starts a new series.</summary>
    public void Started() => _startedAt = clock.GetUtcNow();

    /// <summary>What to do after the process exited with <paramref name="exitCode"/> (or failed to start: pass a
    /// nonzero code and do not call <see cref="Started"/> for the failed attempt).</summary>
    public RestartDecision AfterExit(int exitCode)
    {
        if (spec.Policy == RestartPolicy.Never || (spec.Policy == RestartPolicy.OnFailure && exitCode == 0))
        {
            return RestartDecision.Stay(null);
        }
        FailuresInARow = clock.GetUtcNow() - _startedAt > StableAfter ? 1 : FailuresInARow + 1;
        // Whatever happens next, a quick exit of the next attempt continues this series.
        _startedAt = clock.GetUtcNow();
        if (FailuresInARow > spec.MaxRetries)
        {
            return RestartDecision.Stay($"crashed {FailuresInARow} times in a row; not restarting (restart.maxRetries = {spec.MaxRetries})");
        }
        return RestartDecision.After(DelayFor(FailuresInARow));
    }

    /// <summary>The wait before restart number <paramref name="failuresInARow"/> of a series.</summary>
    public static TimeSpan DelayFor(int failuresInARow) => failuresInARow <= 1
        ? TimeSpan.Zero
        : TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failuresInARow - 1, 16))));
}

/// <param name="Restart">False: the process stays down (the policy says so, or <paramref name="GaveUp"/>).</param>
/// <param name="GaveUp">Why restarting stopped although the policy asks for it: the retries are used up.</param>
internal readonly record struct RestartDecision(bool Restart, TimeSpan Delay, string? GaveUp)
{
    public static RestartDecision After(TimeSpan delay) => new(true, delay, null);

    public static RestartDecision Stay(string? gaveUp) => new(false, TimeSpan.Zero, gaveUp);
}
