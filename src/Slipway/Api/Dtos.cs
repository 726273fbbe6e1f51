using Slipway.State;

namespace Slipway.Api;

internal sealed record DeployBody(string Source, string? Ref, IReadOnlyList<string>? Hosts);

internal sealed record RollbackBody(string? To);

/// <param name="From">The deployment (id or number) whose kept source is built again; null: the live one.</param>
internal sealed record RedeployBody(string? From);

internal sealed record PromoteBody(string From, string To, bool Create = false);

internal sealed record DeploymentDto(
    string Id, long Number, string App, DeploymentKind Kind, DeploymentStatus Status, string? FailedStep, string? Error,
    string Source, string? Commit, string? RollbackOf, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, double? DurationSeconds,
    string? CommitMessage = null, string? CommitAuthor = null, string? RequestedBy = null);

/// <param name="MemoryBytes">Memory in use now; null where the machine gives no per-instance accounting (no cgroups).</param>
/// <param name="CpuPercent">Percent of one core since the previous look; null on the first.</param>
/// <param name="OomKills">Times the kernel's OOM killer ended it at its memory limit.</param>
internal sealed record InstanceDto(string Id, string Service, int Replica, Runtime.InstanceState State, int? Pid, int? Port, int Restarts,
    int InFlight, long Requests, string Role, long? MemoryBytes = null, long? MemoryLimitBytes = null, long? PeakMemoryBytes = null,
    double? CpuPercent = null, double? CpuSeconds = null, int OomKills = 0);

/// <param name="Hosts">Every hostname the app answers: APP.localhost, then the ones added (--host, `hosts add`).</param>
/// <param name="Disk">Sizes of its live build and volumes (`status` only).</param>
internal sealed record AppDto(string Name, string App, string Env, string State, IReadOnlyList<string> Urls, DeploymentDto? Live,
    IReadOnlyList<InstanceDto> Instances, IReadOnlyList<string> Services, IReadOnlyList<string> Hosts, DiskDto? Disk = null);

/// <param name="BuildBytes">The live build (source, dependencies, output); null without one.</param>
/// <param name="Quota">Whether anything but the disk's free space caps them.</param>
internal sealed record DiskDto(long? BuildBytes, long VolumeBytes, string Quota);

/// <summary>Who answers: the CLI tells platforms apart by their data directory and checks their ports.</summary>
internal sealed record PingDto(string Name, string? Version, int HttpPort, int? HttpsPort)
{
    /// <summary>The platform process answering: `slipway upgrade` waits until its successor does.</summary>
    public int Pid { get; init; } = Environment.ProcessId;
}

/// <param name="Binary">The new slipway executable, started beside the running one.</param>
internal sealed record UpgradeRequest(string Binary);

/// <param name="Pid">The new platform process.</param>
/// <param name="Version">Its version (`BINARY --version`).</param>
/// <param name="From">The version of the platform that handed over.</param>
internal sealed record UpgradeDto(int Pid, string Version, string From);

internal sealed record EventDto(DateTimeOffset At, string Kind, string Message, string? DeploymentId);

/// <summary>What `destroy` deletes, shown before the user confirms (GET /v1/apps/{app}/destroy-plan).</summary>
internal sealed record DestroyPlanDto(string App, string Env, int Deployments, int Builds, IReadOnlyList<string> Hosts, bool KeepDatabases,
    IReadOnlyList<DestroyDatabaseDto> Databases);

/// <param name="SizeBytes">Null when its server could not say (unreachable).</param>
/// <param name="Backup">Once destroyed: the verified final backup taken before the drop.</param>
/// <param name="Restore">Once destroyed: the exact command that brings the data back.</param>
internal sealed record DestroyDatabaseDto(string Name, string Type, string Database, string Server, long? SizeBytes, DatabaseFate Fate,
    string? Backup = null, string? Restore = null);

[System.Text.Json.Serialization.JsonConverter(typeof(KebabCaseEnumConverter<DatabaseFate>))]
internal enum DatabaseFate
{
    /// <summary>A final verified backup, then dropped (postgres).</summary>
    BackedUpThenDropped,
    /// <summary>Dropped without a backup (redis: no logical backups).</summary>
    Dropped,
    /// <summary>--keep-databases: detached from the environment, data and role intact.</summary>
    Kept,
}

internal sealed record DestroyBody(bool KeepDatabases);

internal sealed record DestroyedDto(string Destroyed, string Env, IReadOnlyList<DestroyDatabaseDto> Databases);

internal sealed record HostsBody(IReadOnlyList<string> Hosts);

/// <param name="Default">APP.localhost: the app's own, which stays while the app exists.</param>
internal sealed record HostDto(string Host, bool Default, string Url);

/// <summary>What `cancel` stopped: the deployment ids.</summary>
internal sealed record CancelledDto(IReadOnlyList<string> Cancelled);

/// <summary>The key `keys rotate` made current.</summary>
internal sealed record KeyRotatedDto(string KeyId);

/// <summary>What was added, by name.</summary>
internal sealed record NamedDto(string Name);
