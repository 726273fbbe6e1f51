namespace Slipway.Monitoring.Uptime;

/// <summary>A row of `uptime_incidents` (schema step 13): a check down from <see cref="StartedAt"/> (its first failing
/// check) to <see cref="EndedAt"/> (the first of the checks that closed it; null while open), or an incident a person
/// opened on a status page (<see cref="Manual"/>, no check). <see cref="App"/> is the app environment's row key ("" for
/// a platform-wide check); <see cref="Cause"/> is the first failure's, <see cref="LastCause"/> the latest's.</summary>
internal sealed record UptimeIncident(string Id, string? CheckId, string App, string Title, DateTimeOffset StartedAt, DateTimeOffset? EndedAt,
    string Cause, string? LastCause, long Manual)
{
    public bool IsOpen => EndedAt is null;

    public bool IsManual => Manual != 0;

    public Downtime Downtime => new(StartedAt, EndedAt);
}

/// <summary>A row of `uptime_incident_notes`: what a person wrote about an incident, and when.</summary>
internal sealed record IncidentNote(long Id, string IncidentId, DateTimeOffset At, string Body, long Resolved, string Author)
{
    public bool IsResolved => Resolved != 0;
}
