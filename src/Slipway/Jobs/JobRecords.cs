using System.Globalization;

namespace Slipway.Jobs;

internal static class CronRunStatus
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string TimedOut = "timed-out";
    /// <summary>Not started: the previous run was still going (concurrency "skip"), or runs were missed while
    /// the platform was down (missed "skip").</summary>
    public const string Skipped = "skipped";
    /// <summary>The platform stopped while it ran.</summary>
    public const string Interrupted = "interrupted";
}

internal static class CronTrigger
{
    public const string Schedule = "schedule";
    /// <summary>Runs missed while the platform was down, caught up once (missed "run-once").</summary>
    public const string Missed = "missed";
    public const string Manual = "manual";
}

internal static class MessageStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    /// <summary>Every attempt failed: kept until `slipway messages retry ID` sends it again.</summary>
    public const string Dead = "dead";
}

internal sealed record CronRunRecord(
    string Id, string App, string Job, string? DeploymentId, string Trigger, string? ScheduledAt, string StartedAt,
    string? FinishedAt, string Status, long Attempts, long? HttpStatus, long? ExitCode, long? DurationMs, string? Output, string? Error);

internal sealed record MessageRecord(
    string Id, string App, string? Service, string? Path, string? Url, string Method, string HeadersJson, byte[]? Body,
    string NotBefore, long Retries, long BackoffMs, long Attempts, string Status, long? LastStatus, string? LastError,
    string CreatedAt, string? FinishedAt);

/// <summary>Times as stored: UTC, fixed width, so text order is time order (the same format State/Store uses).</summary>
internal static class JobTime
{
    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
