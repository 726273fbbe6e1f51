using Slipway.Manifests;

namespace Slipway.Jobs;

/// <summary>A cron job as `slipway cron ls` shows it: what it does, when it runs next, how it last went.</summary>
/// <param name="Paused">Why the job does not fire on its schedule in this environment (a preview's), or null.</param>
internal sealed record CronView(
    string Name, string Schedule, string TimeZone, string Kind, string Target, string Concurrency, int Retries, string Missed,
    string? NextRun, CronRunRecord? LastRun, string? Paused = null)
{
    public static CronView Of(CronSpec job, DateTimeOffset? next, CronRunRecord? last, string? paused = null) => new(
        job.Name, job.Schedule, job.TimeZone ?? "UTC",
        job.Command is null ? "http" : "command",
        job.Command is null ? $"{job.Method} {(job.Service is null ? "" : job.Service + ":")}{job.Path}" : (job.Service is null ? "" : job.Service + ": ") + job.Command,
        job.Concurrency == CronConcurrency.Skip ? "skip" : "allow", job.Retries,
        job.Missed == CronMissed.RunOnce ? "run-once" : "skip",
        paused is null && next is { } at ? JobTime.Format(at) : null, last, paused);
}
