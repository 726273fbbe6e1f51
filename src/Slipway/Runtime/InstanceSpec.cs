using Slipway.Manifests;
using Slipway.Sandbox;

namespace Slipway.Runtime;

/// <summary>Everything needed to run one replica of a service of a deployment.</summary>
/// <param name="WorkingDirectory">The service's root inside the (immutable) build directory.</param>
/// <param name="Environment">The deployment's complete environment, without PORT (added per instance).</param>
internal sealed record InstanceSpec(
    string Id,
    string App,
    string DeploymentId,
    ServiceSpec Service,
    int Replica,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan StopTimeout)
{
    /// <summary>How every process of this instance is confined (handed to the launcher unchanged).</summary>
    public Isolation Isolation { get; init; } = Isolation.None;
}

[System.Text.Json.Serialization.JsonConverter(typeof(KebabCaseEnumConverter<InstanceState>))]
internal enum InstanceState { Starting, Healthy, Unhealthy, Restarting, Crashed, Exited, Stopping, Stopped }

/// <summary>How a new instance's first start ended: the deploy gate waits on this. <paramref name="TooLarge"/>: the
/// kernel refused its environment (<see cref="EnvironmentTooLargeException"/>).</summary>
internal sealed record StartOutcome(bool Healthy, string Detail, bool TooLarge = false);
