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

    /// <summary>The config variables the environment row <paramref name="key"/>'s resources own (each database's URL
    /// variable): a rollback never rewrites them.</summary>
    IReadOnlyList<string> VariablesOf(string key);

    /// <summary>Destroy, once the environment's instances are stopped and before anything is deleted: makes sure
    /// dropping loses nothing (a final verified backup of each database, or nothing when they are kept). A failure
    /// throws a <see cref="UserException"/> that says why; nothing has been dropped or deleted then.</summary>
    Task SecureForDestroyAsync(string key, bool keep, Func<string, Task> report, CancellationToken token);

    /// <summary>Removes everything the environment row <paramref name="key"/> owns (destroy), or with
    /// <paramref name="keep"/> detaches it from the environment instead.</summary>
    Task DropForAppAsync(string key, bool keep, CancellationToken token);
}
