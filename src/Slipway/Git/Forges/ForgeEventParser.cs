using System.Text.Json;

namespace Slipway.Git.Forges;

/// <summary>Reads a webhook delivery into a <see cref="ForgeEvent"/>, after its signature was verified. The event name
/// (<see cref="ForgeHeaders.EventName"/>) decides first: an event Slipway does not use is ignored without reading its
/// body. The body is read with JsonDocument, only the fields used, as each forge documents them:
///
///   forge    event (header)        payload fields read
///   GitHub   push                  ref, after, deleted, head_commit | commits[], repository.full_name, .clone_url
///            pull_request          action, number, pull_request.{title, user.login, merged, head.{sha, ref, repo},
///                                  base.{ref, repo.id}}, repository.full_name
///            ping                  (none)
///   GitLab   Push Hook             ref, after, commits[], project.path_with_namespace, .git_http_url
///            Tag Push Hook         ref (ignored: a tag)
///            Merge Request Hook    object_attributes.{iid, action, oldrev, title, source_branch, target_branch,
///                                  source_project_id, target_project_id, last_commit.id, source.git_http_url},
///                                  user.username, project.path_with_namespace
///   Gitea    push                  as GitHub's push (no "deleted": a deleted tag has an all-zero after)
///            delete                ref, ref_type, repository: Gitea's only news of a deleted branch
///            pull_request          as GitHub's, with "synchronized" for new commits
///
/// A body that is not JSON, or lacks a field that is used, is a <see cref="UserException"/> (400) naming the field's
/// path.</summary>
internal static class ForgeEventParser
{
    private const string Branches = "refs/heads/";
    private const string Tags = "refs/tags/";

    public static ForgeEvent Parse(Forge forge, string eventName, ReadOnlySpan<byte> json)
    {
        var name = forge switch
        {
            Forge.Github => "GitHub",
            Forge.Gitlab => "GitLab",
            Forge.Gitea => "Gitea",
            _ => throw new ArgumentOutOfRangeException(nameof(forge), forge, null),
        };
        Func<PayloadNode, ForgeEvent>? read = (forge, eventName) switch
        {
            (Forge.Github or Forge.Gitea, "push") => root => Push(root, root.Object("repository").String("full_name"), root.Object("repository").String("clone_url")),
            (Forge.Github, "pull_request") => root => PullRequest(root, "synchronize"),
            (Forge.Gitea, "pull_request") => root => PullRequest(root, "synchronized"),
            (Forge.Gitea, "delete") => DeletedRef,
            (Forge.Gitlab, "Push Hook" or "Tag Push Hook") => root => Push(root, root.Object("project").String("path_with_namespace"), root.Object("project").String("git_http_url")),
            (Forge.Gitlab, "Merge Request Hook") => MergeRequest,
            _ => null,
        };
        if (read is not null)
        {
            return Read(json, $"{name} {eventName}", read);
        }
        return (forge, eventName) switch
        {
            (Forge.Github, "ping") => new PingEvent(),
            (Forge.Gitlab, "System Hook") => new IgnoredEvent("GitLab system hooks are not used: add the webhook to the project (Settings > Webhooks) instead"),
            _ => new IgnoredEvent($"{name} '{eventName}' events are not used"),
        };
    }

    /// <summary>A push to a branch (GitHub, GitLab, Gitea alike); a push to a tag or another ref is ignored.</summary>
    private static ForgeEvent Push(PayloadNode root, string repository, string cloneUrl)
    {
        var reference = root.String("ref");
        if (!reference.StartsWith(Branches, StringComparison.Ordinal))
        {
            return new IgnoredEvent(reference.StartsWith(Tags, StringComparison.Ordinal) ? $"a push to the tag {reference[Tags.Length..]}" : $"a push to {reference}, not to a branch");
        }
        var branch = reference[Branches.Length..];
        var after = root.Sha("after");
        if (root.OptionalBool("deleted") == true || after.All(c => c == '0'))
        {
            return new PushEvent(repository, cloneUrl, branch, null, null);
        }
        // GitHub and Gitea name the head commit; GitLab lists the newest commits, the head among them (none when a
        // branch is created without new commits).
        var head = root.OptionalObject("head_commit") ?? Find(root.Objects("commits"), after);
        return new PushEvent(repository, cloneUrl, branch, after, head is { } found ? Commit(found) : null);
    }

    private static PayloadNode? Find(IEnumerable<PayloadNode> commits, string sha)
    {
        foreach (var commit in commits)
        {
            if (commit.OptionalString("id") == sha)
            {
                return commit;
            }
        }
        return null;
    }

    private static PushedCommit Commit(PayloadNode commit)
    {
        var message = commit.OptionalString("message") ?? "";
        var author = commit.Object("author");
        var email = author.OptionalString("email");
        var name = author.String("name");
        return new PushedCommit(commit.Sha("id"), message.Split('\n')[0].TrimEnd('\r'), string.IsNullOrEmpty(email) ? name : $"{name} <{email}>");
    }

    /// <summary>Gitea tells of a deleted branch only with a "delete" event (its push event is for what moved), with
    /// the branch's short name.</summary>
    private static ForgeEvent DeletedRef(PayloadNode root)
    {
        var reference = root.String("ref");
        var repository = root.Object("repository");
        return root.String("ref_type") == "branch"
            ? new PushEvent(repository.String("full_name"), repository.String("clone_url"), reference, null, null)
            : new IgnoredEvent($"the {root.String("ref_type")} {reference} was deleted");
    }

    /// <summary>GitHub's and Gitea's pull_request payloads have one shape; only the action for new commits is spelled
    /// differently. A head repository that is gone (GitHub and Gitea send "repo": null for a deleted fork) was a fork.</summary>
    private static ForgeEvent PullRequest(PayloadNode root, string newCommits)
    {
        var action = root.String("action");
        PullRequestAction? normalized = action switch
        {
            "opened" => PullRequestAction.Opened,
            "reopened" => PullRequestAction.Reopened,
            "closed" => PullRequestAction.Closed,
            _ when action == newCommits => PullRequestAction.Updated,
            _ => null,
        };
        if (normalized is not { } known)
        {
            return new IgnoredEvent($"the pull request action '{action}' is not used");
        }
        var pull = root.Object("pull_request");
        var head = pull.Object("head");
        var @base = pull.Object("base");
        var headRepository = head.OptionalObject("repo");
        return new PullRequestEvent(
            root.Object("repository").String("full_name"),
            root.Number("number"),
            known,
            known == PullRequestAction.Closed && pull.OptionalBool("merged") == true,
            pull.String("title"),
            pull.Object("user").String("login"),
            head.Sha("sha"),
            head.String("ref"),
            headRepository?.String("clone_url"),
            @base.String("ref"),
            headRepository is not { } fork || fork.Number("id") != @base.Object("repo").Number("id"),
            pull.OptionalTime("updated_at"));
    }

    /// <summary>GitLab says "update" for any change to a merge request; only one with an oldrev brought new commits.
    /// Approvals and the like are ignored.</summary>
    private static ForgeEvent MergeRequest(PayloadNode root)
    {
        var request = root.Object("object_attributes");
        var action = request.String("action");
        (PullRequestAction, bool)? normalized = action switch
        {
            "open" => (PullRequestAction.Opened, false),
            "reopen" => (PullRequestAction.Reopened, false),
            "update" when request.OptionalString("oldrev") is { Length: > 0 } => (PullRequestAction.Updated, false),
            "close" => (PullRequestAction.Closed, false),
            "merge" => (PullRequestAction.Closed, true),
            _ => null,
        };
        if (normalized is not var (known, merged))
        {
            return new IgnoredEvent(action == "update" ? "a merge request update without new commits" : $"the merge request action '{action}' is not used");
        }
        return new PullRequestEvent(
            root.Object("project").String("path_with_namespace"),
            request.Number("iid"),
            known,
            merged,
            request.String("title"),
            root.Object("user").String("username"),
            request.Object("last_commit").Sha("id"),
            request.String("source_branch"),
            request.OptionalObject("source")?.String("git_http_url"),
            request.String("target_branch"),
            request.OptionalNumber("source_project_id") != request.Number("target_project_id"),
            request.OptionalTime("updated_at"));
    }

    /// <summary>The payload's root object, read by <paramref name="read"/> while the document lives (what it returns
    /// holds copies). One JSON value and nothing after it. Only the reader throws JsonException: the reading checks
    /// each value's kind before it takes it.</summary>
    private static ForgeEvent Read(ReadOnlySpan<byte> json, string source, Func<PayloadNode, ForgeEvent> read)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            // The reader takes one top-level value: anything but whitespace after it throws here.
            _ = reader.Read();
            return read(PayloadNode.Root(document.RootElement, source));
        }
        catch (JsonException e)
        {
            throw PayloadNode.Malformed($"The {source} payload is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
    }
}
