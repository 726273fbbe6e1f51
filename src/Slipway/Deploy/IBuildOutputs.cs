using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>What a layer above does to a build's own copy of the source (never the pristine one kept for rebuilds):
/// before install and build, and to what the build produced before anything of it is served (Errors/: asks Vite and
/// Next.js for hidden source maps, then takes the maps out of what is served and keeps them with the release).</summary>
internal interface IBuildOutputs
{
    /// <summary>Before install and build. <paramref name="log"/> writes a line to the deployment's build log.</summary>
    void Prepare(AppRef target, AppSpec spec, string buildDir, Action<string> log);

    /// <summary>After a build that succeeded, before its release starts.</summary>
    void Collect(AppRef target, string release, AppSpec spec, string buildDir, Action<string> log);
}
