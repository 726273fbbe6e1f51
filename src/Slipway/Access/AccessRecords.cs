namespace Slipway.Access;

internal sealed record UserRecord(string Id, string Name, string PasswordHash, string? TotpSecretEnc, long TotpLastStep, string RecoveryJson,
    DateTimeOffset CreatedAt, DateTimeOffset PasswordChangedAt)
{
    public bool HasTotp => TotpSecretEnc is not null;
}

internal sealed record TokenRecord(string Id, string Name, string Hash, string Hint, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, string? LastUsedFrom, DateTimeOffset? RevokedAt)
{
    public bool IsUsable(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

internal sealed record SessionRecord(string Hash, string UserId, string Kind, string Csrf, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt,
    DateTimeOffset LastSeenAt, string? Address, string? Client);

/// <summary>One line of the audit log: who did what, when, from where, through which client, and whether it
/// was allowed. <see cref="Detail"/> names things (variables, hostnames, users), never a value.</summary>
internal sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string? Address, string? Client, string Action, string? App, string? Env,
    string? Detail, string Outcome);
