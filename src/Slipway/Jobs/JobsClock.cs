namespace Slipway.Jobs;

/// <summary>The clock cron schedules and message due times are read from. The platform's, except in tests,
/// which move it by hand to make a schedule fire or a delay pass without waiting (JobsOptions.Clock).
/// Timeouts and backoff between attempts of a cron run stay on the platform clock: they measure real work.</summary>
internal sealed class JobsClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    public DateTimeOffset Now => Time.GetUtcNow();
}
