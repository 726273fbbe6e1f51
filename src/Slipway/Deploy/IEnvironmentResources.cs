using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>What an environment owns besides its deployments and must exist before its config is checked:
/// today its databases (Databases/ implements this; their URLs become config vars, so migrations find them).
/// Deploy calls it; it never names the subsystem behind it.</summary>
internal interface IEnvironmentResources
{
    /// <summary>Creates what <paramref name="declared"/> asks for and is missing, reporting each step to
    /// <paramref name="log"/>.</summary>
    Task PrepareAsync(AppRef target, IReadOnlyList<DatabaseSpec> declared, Action<string> log, CancellationToken token);

    /// <summary>Removes everything the environment row <paramref name="key"/> owns (destroy).</summary>
    Task DropForAppAsync(string key, CancellationToken token);
}
