using Slipway.Config;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Deploy;

/// <param name="Source">An absolute local directory, or a git URL.</param>
/// <param name="Ref">Branch, tag or commit for git sources.</param>
/// <param name="Hosts">Extra hostnames for the app, besides APP.localhost.</param>
/// <param name="Target">The app environment it deploys to.</param>
internal sealed record DeployRequest(AppRef Target, string Source, string? Ref = null, IReadOnlyList<string>? Hosts = null)
{

    /// <summary>Rebuild: the pristine source of this earlier build instead of <see cref="Source"/>.</summary>
    public BuildRecord? FromBuild { get; init; }

    /// <summary>Rebuild: the spec already known (the same source as <see cref="FromBuild"/>), so the manifest is not read again.</summary>
    public AppSpec? Spec { get; init; }

    /// <summary>What the deployment names as its source when <see cref="Source"/> is a directory of the platform's own
    /// ("git push main" rather than the directory the push was exported to).</summary>
    public string? Shown { get; init; }

    /// <summary>An Authorization header git sends when it fetches a git URL source (a forge's access token); never
    /// recorded, so the deployment's source names the repository and nothing more.</summary>
    public string? GitAuthorization { get; init; }

    /// <summary>The commit a source without git data (a pushed tree) was exported from.</summary>
    public CommitInfo? Commit { get; init; }

    /// <summary>Who asked for it, as the history shows it: the API caller's name, the pusher of a git push,
    /// "webhook (github)", "preview (...)".</summary>
    public string? RequestedBy { get; init; }

    /// <summary>Redeploy: the earlier deployment whose kept source this one builds again (recorded as its rollback_of,
    /// the history's "deploy of ...").</summary>
    public string? RedeployOf { get; init; }

    /// <summary>Rebuild: the config already prepared and checked for this deployment.</summary>
    public ConfigSnapshot? CheckedConfig { get; init; }
}
