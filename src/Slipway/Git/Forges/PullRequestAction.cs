using System.Text.Json.Serialization;

namespace Slipway.Git.Forges;

/// <summary>What happened to a pull request, across forges: Opened (opened or reopened), Updated (new commits on its
/// head: GitHub "synchronize", Gitea "synchronized", GitLab "update" with an oldrev), Closed (merged or not).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<PullRequestAction>))]
internal enum PullRequestAction
{
    Opened,
    Updated,
    Closed,
}
