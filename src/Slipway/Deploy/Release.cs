using System.Text.Json;
using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>What a rollout runs: a deployment's build directory, its spec and the exact config it runs with,
/// and how it goes out. <see cref="ReleasePlanner"/> makes one for every kind of deployment; a rollback runs an
/// earlier release again, so code and config come back together.</summary>
internal sealed record Release(string App, string DeploymentId, string BuildDir, AppSpec Spec, IReadOnlyDictionary<string, string> Config)
{
    public static readonly JsonSerializerOptions Json = JsonSpellings.Web();

    /// <summary>Each service's release command (migrations) runs once, in this build with this config, before
    /// any instance starts: new builds (deploys and rebuilds) and promotes; never rollbacks, restarts or config
    /// releases of the live build.</summary>
    public bool RunsReleaseCommand { get; init; }

    /// <summary>Reuse the warm instances of this deployment when they are still healthy (rollback).</summary>
    public string? WarmFrom { get; init; }

    /// <summary>Hostnames that take effect when this release goes live (never before it is known to be good).</summary>
    public IReadOnlyList<string>? NewHosts { get; init; }

    /// <summary>False for a restart: the replaced instances are stopped for good instead of kept warm.</summary>
    public bool KeepReplacedWarm { get; init; } = true;

    public string ServiceDir(ServiceSpec service) => Path.GetFullPath(Path.Combine(BuildDir, service.Root));
}
