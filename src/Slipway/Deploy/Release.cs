using System.Text.Json;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>What runs: a deployment's build directory, its spec and the exact config it ran with. A rollback
/// runs an earlier Release again, so code and config come back together.</summary>
internal sealed record Release(string App, string DeploymentId, string BuildDir, AppSpec Spec, IReadOnlyDictionary<string, string> Config)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ServiceDir(ServiceSpec service) => Path.GetFullPath(Path.Combine(BuildDir, service.Root));

    /// <summary>The release a deployment recorded (its config opened by the caller), to run again under
    /// <paramref name="deploymentId"/>.</summary>
    public static Release Of(DeploymentRecord recorded, string buildDir, Config.ConfigSnapshot config, string? deploymentId = null) => new(
        recorded.App,
        deploymentId ?? recorded.Id,
        buildDir,
        JsonSerializer.Deserialize<AppSpec>(recorded.SpecJson!, Json)!,
        config.Vars);
}
