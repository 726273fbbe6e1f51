using Slipway.State;

namespace Slipway.Api;

internal sealed record DeployBody(string Source, string? Ref, IReadOnlyList<string>? Hosts);

internal sealed record RollbackBody(string? To);

internal sealed record PromoteBody(string From, string To);

internal sealed record DeploymentDto(
    string Id, long Number, string App, DeploymentKind Kind, DeploymentStatus Status, string? FailedStep, string? Error,
    string Source, string? Commit, string? RollbackOf, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, double? DurationSeconds);

internal sealed record InstanceDto(string Id, string Service, int Replica, Runtime.InstanceState State, int? Pid, int? Port, int Restarts,
    int InFlight, long Requests, string Role);

internal sealed record AppDto(string Name, string App, string Env, string State, IReadOnlyList<string> Urls, DeploymentDto? Live,
    IReadOnlyList<InstanceDto> Instances, IReadOnlyList<string> Services);

/// <summary>Who answers: the CLI tells platforms apart by their data directory and checks their ports.</summary>
internal sealed record PingDto(string Name, string? Version, int HttpPort, int? HttpsPort, string DataDir);

internal sealed record EventDto(DateTimeOffset At, string Kind, string Message, string? DeploymentId);
