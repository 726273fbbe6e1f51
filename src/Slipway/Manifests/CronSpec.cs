using System.Text.Json.Serialization;

namespace Slipway.Manifests;

/// <summary>A scheduled job from the manifest's top-level "crons": either an HTTP request to <see cref="Path"/>
/// on one of the app's web services, or <see cref="Command"/> run as a one-off process in a service's build.
/// Stored with the deployment's spec, so a deploy changes the schedule with the code and a rollback brings the
/// old one back. Jobs/ runs them.</summary>
internal sealed record CronSpec
{
    public required string Name { get; init; }

    /// <summary>Five cron fields: minute hour day-of-month month day-of-week, e.g. "0 */4 * * *".</summary>
    public required string Schedule { get; init; }

    /// <summary>IANA time zone the schedule is read in ("Europe/Berlin"); null: UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Path requested on the app, e.g. "/api/cron/daily-sync". Null for command jobs.</summary>
    public string? Path { get; init; }

    /// <summary>HTTP method of a path job (GET, as Vercel calls cron paths).</summary>
    public string Method { get; init; } = "GET";

    /// <summary>Shell command run in the service's root. Null for path jobs.</summary>
    public string? Command { get; init; }

    /// <summary>The service a path job calls or a command job runs in; null: the web service whose path prefix
    /// matches for a path job, the first web or worker service for a command job.</summary>
    public string? Service { get; init; }

    /// <summary>How long one attempt may take: the request is abandoned, the command's process group stopped.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    public CronConcurrency Concurrency { get; init; } = CronConcurrency.Skip;

    /// <summary>Attempts after a failed one (non-2xx answer, exit code other than 0, timeout).</summary>
    public int Retries { get; init; }

    /// <summary>Wait before the first retry; doubled for each further one.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Runs whose time passed while the platform was down: run once when it is back, or skip them.</summary>
    public CronMissed Missed { get; init; } = CronMissed.RunOnce;
}

/// <summary>What happens when a run is due while the previous one is still running.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<CronConcurrency>))]
internal enum CronConcurrency { Skip, Allow }

[JsonConverter(typeof(KebabCaseEnumConverter<CronMissed>))]
internal enum CronMissed { RunOnce, Skip }
