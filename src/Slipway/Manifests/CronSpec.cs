namespace Slipway.Manifests;

/// <summary>A scheduled job from the manifest's top-level "crons": either an HTTP GET of <see cref="Path"/>
/// on the app, or <see cref="Command"/> run in a service's build. Parsed and validated now (shape only, not
/// the schedule's meaning); the scheduler lands in a later issue.</summary>
internal sealed record CronSpec
{
    public required string Name { get; init; }

    /// <summary>Five cron fields: minute hour day-of-month month day-of-week, e.g. "0 */4 * * *".</summary>
    public required string Schedule { get; init; }

    /// <summary>Path requested on the app (through its routes), e.g. "/api/cron/daily-sync". Null for command jobs.</summary>
    public string? Path { get; init; }

    /// <summary>Shell command run in the service's root. Null for path jobs.</summary>
    public string? Command { get; init; }

    /// <summary>The service a path job calls or a command job runs in; null: the app's routes for a path job,
    /// the first web or worker service for a command job.</summary>
    public string? Service { get; init; }
}
