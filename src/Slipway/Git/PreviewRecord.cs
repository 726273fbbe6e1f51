using System.Text.Json.Serialization;

namespace Slipway.Git;

[JsonConverter(typeof(KebabCaseEnumConverter<PreviewState>))]
internal enum PreviewState
{
    /// <summary>Its deployment is queued or running (the deployment says how far it got).</summary>
    Deploying,

    /// <summary>The pull request comes from a fork: its code runs nowhere until a deployer approves it.</summary>
    AwaitingApproval,

    /// <summary>Preparing it failed before a deployment could start (the detail says why).</summary>
    Failed,
}

/// <summary>A pull request's preview: environment pr-NUMBER of the app, deployed from the request's head commit.
/// <paramref name="CommentId"/> is the forge's id of the comment about it (set by <see cref="ForgeNotices"/> alone).</summary>
internal sealed record PreviewRecord(string App, long Number, string HeadSha, string HeadBranch, string CloneUrl, bool FromFork, string? Title,
    string? Author, PreviewState State, string? Detail, string? DeploymentId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? CommentId = null)
{
    public AppRef Env => AppRef.Of(App, EnvName(Number));

    public static string EnvName(long number) => $"pr-{number}";
}
