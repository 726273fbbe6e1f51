namespace Slipway.Monitoring.Uptime;

/// <summary>A row of `uptime_checks` (schema step 13) as stored. <see cref="App"/> is the app environment's row key,
/// "" for a platform-wide check. Settings left null take the defaults (<see cref="UptimeOptions"/>): a default check's
/// row holds only what a user changed with `uptime set`.</summary>
internal sealed record UptimeCheckRecord(string Id, string Name, string Kind, string App, string? Url, long? EveryMs, string? Expect,
    long? TimeoutMs, double? Slo, string? Path, long Paused, DateTimeOffset CreatedAt)
{
    public UptimeCheckKind CheckKind => JsonSpellings.Parse<UptimeCheckKind>(Kind);

    public bool IsPaused => Paused != 0;
}
