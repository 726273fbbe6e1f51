namespace Slipway.Monitoring.Uptime;

/// <summary>A check as `uptime ls` and the API show it. Availabilities are percentages (time-weighted, from incidents;
/// null before the check existed in the window); <see cref="MeetsSlo"/> says whether the 30-day one meets the SLO.</summary>
internal sealed record UptimeView(
    string Name,
    UptimeCheckKind Kind,
    string? App,
    string? Env,
    string Url,
    TimeSpan Every,
    string Expect,
    TimeSpan Timeout,
    double Slo,
    UptimeState State,
    DateTimeOffset? LastCheckedAt,
    int? LastStatus,
    double? LastMs,
    string? LastError,
    double? Availability24h,
    double? Availability7d,
    double? Availability30d,
    bool MeetsSlo,
    string? IncidentId,
    DateTimeOffset? DownSince,
    string? Cause);

/// <summary>What `uptime ls` adds under its table: the checks run from this machine.</summary>
internal static class UptimeNotes
{
    public const string FromThisMachine =
        "Checks run from this machine: they cannot see the machine itself go down. Watch it from outside too: point an outside " +
        "monitor (UptimeRobot, Better Stack, ...) at the platform's https://PLATFORM-HOST/healthz.";
}
