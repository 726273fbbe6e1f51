namespace Slipway.Deploy;

/// <summary>Host settings of deployments (from `slipway server`'s flags; Hosting maps and validates them).</summary>
internal sealed class DeployOptions
{
    /// <summary>The platform's data directory (its owner id marks every process the platform starts).</summary>
    public string DataDir { get; set; } = "";

    /// <summary>Where build directories live: BUILDS/APP/BUILD-ID (and BUILD-ID.src, its pristine source).</summary>
    public string BuildsDir { get; set; } = "";

    /// <summary>Dependency caches: one per app environment under CACHE/env when apps are sandboxed (a build must not
    /// poison another app's), else shared by all apps' builds.</summary>
    public string CacheDir { get; set; } = "";

    /// <summary>Directories of the platform no app process may see (the data directory, the databases' and the caches'
    /// roots): a sandbox shows them empty.</summary>
    public IReadOnlyList<string> PrivateDirs { get; set; } = [];

    /// <summary>Builds kept per app for rollback; older ones are deleted.</summary>
    public int KeepBuilds { get; set; } = 10;

    /// <summary>How long a replaced deployment's instances stay running so a rollback is only a route switch.</summary>
    public TimeSpan WarmWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The platform's own hostname (`--platform-host`): no app may take it.</summary>
    public string PlatformHost { get; set; } = "slipway.localhost";
}
