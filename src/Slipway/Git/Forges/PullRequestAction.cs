using System.Text.Json.Serialization;

namespace Slipway.Git.Forges;

/// <summary>What happened to a pull request, across forges: Opened, Reopened, Updated (new commits on its
/// head: GitHub "synchronize", Gitea "synchronized", GitLab "update" with an oldrev), Closed (merged or not).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<PullRequestAction>))]
internal enum PullRequestAction
{
    Opened,

    /// <summary>Opened again after a close: the only action that may follow one.</summary>
    Reopened,
    Updated,
    Closed,
}
