using Slipway.State;

namespace Slipway.Errors;

/// <summary>Releases as error tracking names and orders them: a deployment's release is its commit (12 digits) when it
/// was built from git, else its build; a config change or a rollback makes no new release. A release's place is when it
/// was first deployed to the environment, so a rollback to an older build stays older.</summary>
internal sealed class ErrorReleases(Store store)
{
    public static string? NameOf(DeploymentRecord deployment) =>
        deployment.CommitSha is { Length: >= 12 } sha ? sha[..12] : deployment.BuildId;

    public string? NameOf(string deploymentId) => store.FindDeployment(deploymentId) is { } d ? NameOf(d) : null;

    /// <summary>Where <paramref name="release"/> stands in <paramref name="appKey"/>'s deploy order, or null when it was
    /// never deployed there.</summary>
    public long? OrderOf(string appKey, string? release) =>
        release is null ? null : FirstDeployment(appKey, release)?.Seq;

    /// <summary>The deployment that first brought <paramref name="release"/> to the environment.</summary>
    public DeploymentRecord? FirstDeployment(string appKey, string release) =>
        store.ListDeployments(appKey, 1000).Where(d => d.LiveAt is not null && NameOf(d) == release).MinBy(d => d.Seq);

    /// <summary>The release live in the environment now.</summary>
    public string? Live(string appKey) =>
        store.FindApp(appKey)?.LiveDeploymentId is { } id ? NameOf(id) : null;

    /// <summary>The deployment that was live before <paramref name="deployment"/> went live (what a rollback goes to).</summary>
    public DeploymentRecord? Before(string appKey, DeploymentRecord deployment) =>
        store.ListDeployments(appKey, 1000).Where(d => d.LiveAt is not null && d.Seq < deployment.Seq && NameOf(d) != NameOf(deployment)).MaxBy(d => d.Seq);
}
