namespace Slipway.Errors;

/// <summary>One issue: the events of one environment that group together, with their counts and releases.</summary>
internal sealed record IssueRecord(
    long Id,
    string AppKey,
    string Fingerprint,
    string Title,
    string? Culprit,
    string Level,
    IssueStatus Status,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long Count,
    long Users,
    string? FirstRelease,
    string? LastRelease,
    string? ResolvedIn,
    string? RegressedIn);

/// <summary>One stored event of an issue: what it was, and its whole scrubbed body.</summary>
internal sealed record StoredEvent(long Id, long IssueId, string EventId, DateTimeOffset ReceivedAt, string? Release, string? Environment, string Body);

/// <summary>What storing an event did to its issue.</summary>
internal enum IngestOutcome
{
    /// <summary>A new issue.</summary>
    New,

    /// <summary>One more event of an open (or ignored) issue.</summary>
    Counted,

    /// <summary>A resolved issue seen in a release deployed after the one it was resolved in: open again.</summary>
    Regressed,

    /// <summary>A resolved issue seen again in the release it was resolved in, or an older one (a rollback): counted,
    /// still resolved.</summary>
    StillResolved,

    /// <summary>The SDK sent this event id already (a retry): nothing stored.</summary>
    Duplicate,
}
