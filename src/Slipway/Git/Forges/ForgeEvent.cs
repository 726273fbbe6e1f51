namespace Slipway.Git.Forges;

/// <summary>A webhook delivery as Slipway reads it, the same whichever forge sent it (<see cref="ForgeEventParser"/>).
/// The subtypes are the whole set: a push to a branch, a pull (merge) request that opened, moved or closed, a ping,
/// and everything else, ignored with a reason the endpoint can answer (202 "ignored: ...").</summary>
internal abstract record ForgeEvent;

/// <summary>A branch moved or was deleted. <paramref name="CommitSha"/> is the branch's new head, null when the push
/// deleted it; <paramref name="HeadCommit"/> describes that commit when the payload lists it. <paramref name="CloneUrl"/>
/// is the repository's HTTP(S) clone URL.</summary>
internal sealed record PushEvent(string RepositoryFullName, string CloneUrl, string Branch, string? CommitSha, PushedCommit? HeadCommit) : ForgeEvent
{
    public bool Deleted => CommitSha is null;
}

/// <summary>A pushed commit: its sha, the first line of its message, and its author as "Name &lt;email&gt;".</summary>
internal sealed record PushedCommit(string Sha, string Subject, string Author);

/// <summary>A pull request (GitLab: merge request) of <paramref name="RepositoryFullName"/> that opened, got new
/// commits or closed (<paramref name="Merged"/> when closing merged it). <paramref name="Number"/> is the one people
/// see (GitLab's iid). <paramref name="HeadCloneUrl"/> is the HTTP(S) clone URL of the repository the head branch lives
/// in, null when that repository has been deleted; <paramref name="FromFork"/> when that is not the base repository,
/// whose secrets a preview built from it must not get. <paramref name="Author"/> is a login: on GitHub and Gitea the
/// one who opened the request; GitLab names the author only by id, so there it is the user who caused the event.</summary>
internal sealed record PullRequestEvent(
    string RepositoryFullName,
    long Number,
    PullRequestAction Action,
    bool Merged,
    string Title,
    string Author,
    string HeadSha,
    string HeadBranch,
    string? HeadCloneUrl,
    string BaseBranch,
    bool FromFork,
    DateTimeOffset? UpdatedAt = null) : ForgeEvent;

/// <summary>GitHub's "ping", sent when a webhook is created: the endpoint answers it to show the webhook works.</summary>
internal sealed record PingEvent : ForgeEvent;

/// <summary>An event or action Slipway does not act on (an issue, a label, a tag push, a GitLab system hook), and why,
/// in words the endpoint can answer with.</summary>
internal sealed record IgnoredEvent(string Why) : ForgeEvent;
