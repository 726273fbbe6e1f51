namespace Slipway.State;

/// <summary>Where a deployment is. Spelled in kebab case in the store, the API and --json ("health-checking").</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(KebabCaseEnumConverter<DeploymentStatus>))]
internal enum DeploymentStatus
{
    Queued,
    Building,
    Releasing,
    Starting,
    HealthChecking,
    Live,
    /// <summary>Was live, then replaced by a later deployment. Rollback targets are retired deployments.</summary>
    Retired,
    Failed,
    Cancelled,
}

internal static class DeploymentStatuses
{
    /// <summary>Statuses a deployment never leaves (live only by being retired).</summary>
    public static readonly IReadOnlyList<DeploymentStatus> Terminal =
        [DeploymentStatus.Live, DeploymentStatus.Retired, DeploymentStatus.Failed, DeploymentStatus.Cancelled];

    /// <summary><see cref="Terminal"/> as stored, for SQL's `status in @terminal`.</summary>
    public static readonly IReadOnlyList<string> TerminalSpellings = Terminal.Select(JsonSpellings.Of).ToList();

    public static bool IsTerminal(this DeploymentStatus status) => Terminal.Contains(status);
}

[System.Text.Json.Serialization.JsonConverter(typeof(KebabCaseEnumConverter<DeploymentKind>))]
internal enum DeploymentKind
{
    Deploy,
    Rollback,
    Restart,
    /// <summary>The live build again with changed config (env set / unset).</summary>
    Config,
    /// <summary>Another environment's live build, with this environment's config (no rebuild).</summary>
    Promote,
}

internal sealed record AppRecord(string Name, DateTimeOffset CreatedAt, string? LiveDeploymentId, string DesiredState, string Hosts,
    string? BaseApp = null, string Env = AppRef.Production)
{
    /// <summary>The app the user named (an environment's row is named APP-ENV).</summary>
    public string App => BaseApp ?? Name;

    public AppRef Ref => new(App, Env);
}

internal sealed record BuildRecord(string Id, string App, string Dir, string Source, string? CommitSha, DateTimeOffset CreatedAt, long Pruned,
    string? CommitSubject = null, string? CommitAuthor = null)
{
    public CommitInfo? Commit => CommitInfo.Of(CommitSha, CommitSubject, CommitAuthor);
}

internal sealed record DeploymentRecord(
    string Id, string App, long Seq, DeploymentKind Kind, DeploymentStatus Status, string? Step, string? Error,
    string Source, string? CommitSha, string? BuildId, string? SpecJson, string? ConfigJson, string? RollbackOf,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? LiveAt, string? ConfigHash = null,
    string? CommitSubject = null, string? CommitAuthor = null, string? RequestedBy = null)
{
    public CommitInfo? Commit => CommitInfo.Of(CommitSha, CommitSubject, CommitAuthor);
}

internal sealed record InstanceRecord(
    string Id, string DeploymentId, string App, string Service, long Replica, long? Port, long? Pid, string? PidStart,
    string State, long Restarts, DateTimeOffset StartedAt, DateTimeOffset? StoppedAt, string? LaunchKey = null);

internal sealed record EventRecord(long Id, DateTimeOffset At, string? App, string? DeploymentId, string Kind, string Message);

internal sealed record ConfigVarRecord(string App, string Env, string Name, string ValueEnc, long Secret, string UpdatedAt);
