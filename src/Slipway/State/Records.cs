namespace Slipway.State;

internal static class DeploymentStatus
{
    public const string Queued = "queued";
    public const string Building = "building";
    public const string Releasing = "releasing";
    public const string Starting = "starting";
    public const string HealthChecking = "health-checking";
    public const string Live = "live";
    /// <summary>Was live, then replaced by a later deployment. Rollback targets are retired deployments.</summary>
    public const string Retired = "retired";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsTerminal(string status) => status is Live or Retired or Failed or Cancelled;
}

internal static class DeploymentKind
{
    public const string Deploy = "deploy";
    public const string Rollback = "rollback";
    public const string Restart = "restart";
    /// <summary>The live build again with changed config (env set / unset).</summary>
    public const string Config = "config";
    /// <summary>Another environment's live build, with this environment's config (no rebuild).</summary>
    public const string Promote = "promote";
}

internal sealed record AppRecord(string Name, string CreatedAt, string? LiveDeploymentId, string DesiredState, string Hosts,
    string? BaseApp = null, string Env = "production")
{
    /// <summary>The app the user named (an environment's row is named APP-ENV).</summary>
    public string App => BaseApp ?? Name;
}

internal sealed record BuildRecord(string Id, string App, string Dir, string Source, string? CommitSha, string CreatedAt, long Pruned);

internal sealed record DeploymentRecord(
    string Id, string App, long Seq, string Kind, string Status, string? Step, string? Error,
    string Source, string? CommitSha, string? BuildId, string? SpecJson, string? ConfigJson, string? RollbackOf,
    string CreatedAt, string? StartedAt, string? FinishedAt, string? LiveAt, string? ConfigHash = null);

internal sealed record InstanceRecord(
    string Id, string DeploymentId, string App, string Service, long Replica, long? Port, long? Pid, string? PidStart,
    string State, long Restarts, string StartedAt, string? StoppedAt);

internal sealed record EventRecord(long Id, string At, string? App, string? DeploymentId, string Kind, string Message);

internal sealed record ConfigVarRecord(string App, string Env, string Name, string ValueEnc, long Secret, string UpdatedAt);
