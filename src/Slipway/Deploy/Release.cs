using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>What runs: a deployment's build directory, its spec and the exact config it ran with. A rollback
/// runs an earlier Release again, so code and config come back together.</summary>
internal sealed record Release(string App, string DeploymentId, string BuildDir, AppSpec Spec, IReadOnlyDictionary<string, string> Config)
{
    public string ServiceDir(ServiceSpec service) => Path.GetFullPath(Path.Combine(BuildDir, service.Root));
}
