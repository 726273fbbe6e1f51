namespace Slipway.Deploy;

/// <summary>Host settings of deployments (from `slipway server`'s flags).</summary>
internal sealed record DeployOptions
{
    /// <summary>The platform's data directory (its owner id marks every process the platform starts).</summary>
    public required string DataDir { get; init; }

    /// <summary>Where build directories live: BUILDS/APP/BUILD-ID (and BUILD-ID.src, its pristine source).</summary>
    public required string BuildsDir { get; init; }

    /// <summary>Dependency caches shared by all apps' builds.</summary>
    public required string CacheDir { get; init; }

    /// <summary>Builds kept per app for rollback; older ones are deleted.</summary>
    public int KeepBuilds { get; init; } = 10;

    /// <summary>How long a replaced deployment's instances stay running so a rollback is only a route switch.</summary>
    public TimeSpan WarmWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The edge's HTTP port, for the URLs a deployment reports when it goes live.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Every error in these settings, each saying which flag to fix.</summary>
    public IEnumerable<string> Problems()
    {
        if (KeepBuilds < 1)
        {
            yield return $"--keep-builds must be at least 1 (got {KeepBuilds}): the live build is always kept.";
        }
        if (WarmWindow < TimeSpan.Zero)
        {
            yield return $"the warm window cannot be negative (got {WarmWindow}).";
        }
        if (!Path.IsPathFullyQualified(BuildsDir) || !Path.IsPathFullyQualified(CacheDir))
        {
            yield return "the builds and cache directories must be absolute paths.";
        }
    }
}
