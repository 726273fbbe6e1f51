namespace Slipway.State;

/// <summary>A row of `deployments` as SQLite holds it (kind and status spelled as text), read by Dapper and turned
/// into a <see cref="DeploymentRecord"/>: Dapper parses enums by their member names, not by their spellings.</summary>
internal sealed record DeploymentRow(
    string Id, string App, long Seq, string Kind, string Status, string? Step, string? Error,
    string Source, string? CommitSha, string? BuildId, string? SpecJson, string? ConfigJson, string? RollbackOf,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? LiveAt, string? ConfigHash,
    string? CommitSubject, string? CommitAuthor, string? RequestedBy)
{
    public DeploymentRecord ToRecord() => new(
        Id, App, Seq, JsonSpellings.Parse<DeploymentKind>(Kind), JsonSpellings.Parse<DeploymentStatus>(Status), Step, Error,
        Source, CommitSha, BuildId, SpecJson, ConfigJson, RollbackOf, CreatedAt, StartedAt, FinishedAt, LiveAt, ConfigHash, CommitSubject, CommitAuthor, RequestedBy);
}
