using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>The complete environment of a release command or an instance of a service: the release's config
/// (<see cref="RuntimeEnvironment"/>) plus what the platform adds to every process of the app.</summary>
internal sealed class ProcessEnvironment(IEnumerable<IProcessVariables> platformVariables, AppIsolation isolation)
{
    private readonly IProcessVariables[] _platformVariables = [.. platformVariables];

    public Dictionary<string, string> For(Release release, ServiceSpec service)
    {
        var env = RuntimeEnvironment.ForService(release.App, release.DeploymentId, service, release.Config, isolation.Variables(release.App));
        foreach (var variables in _platformVariables)
        {
            variables.AddTo(release.App, release.DeploymentId, env);
        }
        return env;
    }
}
