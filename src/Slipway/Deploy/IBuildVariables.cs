using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>Variables the platform adds to a build's environment besides the non-secret config (Errors/: the DSN,
/// release and tunnel a browser SDK needs inlined, when the manifest asks). Never a secret: a build may inline anything
/// it is given into a bundle anyone can download.</summary>
internal interface IBuildVariables
{
    /// <param name="target">The app environment being built.</param>
    /// <param name="release">What error tracking and the processes call this build: its commit (12 digits) or its id.</param>
    void AddTo(AppRef target, string release, AppSpec spec, IDictionary<string, string> environment);
}
