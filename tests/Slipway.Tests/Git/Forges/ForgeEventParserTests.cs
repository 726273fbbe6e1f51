using System.Text;
using Slipway.Git.Forges;

namespace Slipway.Tests.Git.Forges;

/// <summary>Each forge's documented payloads (trimmed copies under Payloads/) read into the same events, exactly; and
/// what is not JSON, or lacks a field that is used, refused with the field's path.</summary>
public sealed class ForgeEventParserTests
{
    [Fact]
    public void A_GitHub_push_to_a_branch_names_its_head_commit()
    {
        Parse(Forge.Github, "push", "github-push.json").Should().Be(new PushEvent(
            "Codertocat/Hello-World", "https://github.com/Codertocat/Hello-World.git", "main", "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
            new PushedCommit("0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c", "Fix the cart total for discounts", "Codertocat <21031067+Codertocat@users.noreply.github.com>")));
    }

    [Fact]
    public void A_GitHub_branch_deletion_is_a_push_without_a_commit()
    {
        var push = (PushEvent)Parse(Forge.Github, "push", "github-push-deleted.json");
        push.Should().Be(new PushEvent("Codertocat/Hello-World", "https://github.com/Codertocat/Hello-World.git", "feature/old-checkout", null, null));
        push.Deleted.Should().BeTrue();
    }

    [Fact]
    public void GitHubs_deleted_flag_alone_deletes()
    {
        var json = Text("github-push-deleted.json").Replace("\"0000000000000000000000000000000000000000\"", "\"6113728f27ae82c7b1a177c8d03f9e96e0adf246\"", StringComparison.Ordinal);
        ((PushEvent)Parse(Forge.Github, "push", Encoding.UTF8.GetBytes(json))).Deleted.Should().BeTrue();
    }

    [Fact]
    public void A_GitHub_tag_push_is_ignored()
    {
        Parse(Forge.Github, "push", "github-push-tag.json").Should().Be(new IgnoredEvent("a push to the tag v1.4.0"));
    }

    [Fact]
    public void A_GitHub_ping_is_a_ping()
    {
        Parse(Forge.Github, "ping", "github-ping.json").Should().Be(new PingEvent());
    }

    [Fact]
    public void A_GitHub_pull_request_from_a_branch_of_the_repository()
    {
        Parse(Forge.Github, "pull_request", "github-pull-request-opened.json").Should().Be(new PullRequestEvent(
            "Codertocat/Hello-World", 2, PullRequestAction.Opened, false, "Update the README with new information.", "Codertocat",
            "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "changes", "https://github.com/Codertocat/Hello-World.git", "master", FromFork: false,
            UpdatedAt: new DateTimeOffset(2019, 5, 15, 15, 20, 33, TimeSpan.Zero)));
    }

    [Fact]
    public void A_GitHub_pull_request_from_a_fork_with_new_commits()
    {
        Parse(Forge.Github, "pull_request", "github-pull-request-fork.json").Should().Be(new PullRequestEvent(
            "Codertocat/Hello-World", 57, PullRequestAction.Updated, false, "Add Portuguese translations", "octo-contributor",
            "b2f3d1c8a9e04f5b6c7d8e9fa0b1c2d3e4f5a6b7", "translations-pt", "https://github.com/octo-contributor/Hello-World.git", "master", FromFork: true));
    }

    [Fact]
    public void A_GitHub_pull_request_whose_fork_was_deleted_has_no_head_clone_URL_and_is_from_a_fork()
    {
        var json = Patch("github-pull-request-fork.json", ("\"action\": \"synchronize\"", "\"action\": \"closed\""));
        var head = json.IndexOf("\"repo\": {", StringComparison.Ordinal);
        var end = json.IndexOf("\"base\":", head, StringComparison.Ordinal);
        json = json[..head] + "\"repo\": null },\n    " + json[end..];

        var pull = (PullRequestEvent)Parse(Forge.Github, "pull_request", Encoding.UTF8.GetBytes(json));
        pull.Should().Be(new PullRequestEvent("Codertocat/Hello-World", 57, PullRequestAction.Closed, false, "Add Portuguese translations", "octo-contributor",
            "b2f3d1c8a9e04f5b6c7d8e9fa0b1c2d3e4f5a6b7", "translations-pt", null, "master", FromFork: true));
    }

    [Theory]
    [InlineData("reopened", "reopened", false, false)]
    [InlineData("synchronize", "updated", false, false)]
    [InlineData("closed", "closed", false, false)]
    [InlineData("closed", "closed", true, true)]
    [InlineData("opened", "opened", true, false)] // merged means something only on closing
    public void GitHub_actions_are_normalized(string action, string expected, bool mergedInPayload, bool merged)
    {
        var json = Patch("github-pull-request-opened.json", ("\"action\": \"opened\"", $"\"action\": \"{action}\""), ("\"merged\": false", $"\"merged\": {(mergedInPayload ? "true" : "false")}"));
        var pull = (PullRequestEvent)Parse(Forge.Github, "pull_request", Encoding.UTF8.GetBytes(json));
        (pull.Action, pull.Merged).Should().Be((JsonSpellings.Parse<PullRequestAction>(expected), merged));
    }

    [Theory]
    [InlineData("labeled")]
    [InlineData("edited")]
    [InlineData("ready_for_review")]
    [InlineData("synchronized")] // Gitea's word, not GitHub's
    public void Other_GitHub_actions_are_ignored(string action)
    {
        var json = Patch("github-pull-request-opened.json", ("\"action\": \"opened\"", $"\"action\": \"{action}\""));
        Parse(Forge.Github, "pull_request", Encoding.UTF8.GetBytes(json)).Should().Be(new IgnoredEvent($"the pull request action '{action}' is not used"));
    }

    [Fact]
    public void Events_not_used_are_ignored_without_reading_their_body()
    {
        var garbage = "not json"u8.ToArray();
        ForgeEventParser.Parse(Forge.Github, "issues", garbage).Should().Be(new IgnoredEvent("GitHub 'issues' events are not used"));
        ForgeEventParser.Parse(Forge.Github, "delete", garbage).Should().Be(new IgnoredEvent("GitHub 'delete' events are not used"));
        ForgeEventParser.Parse(Forge.Gitlab, "Note Hook", garbage).Should().Be(new IgnoredEvent("GitLab 'Note Hook' events are not used"));
        ForgeEventParser.Parse(Forge.Gitlab, "System Hook", garbage).Should().BeOfType<IgnoredEvent>()
            .Which.Why.Should().Contain("system hooks are not used");
        ForgeEventParser.Parse(Forge.Gitea, "create", garbage).Should().Be(new IgnoredEvent("Gitea 'create' events are not used"));
        ForgeEventParser.Parse(Forge.Gitea, "ping", garbage).Should().BeOfType<IgnoredEvent>("only GitHub pings");
    }

    [Fact]
    public void A_GitLab_push_finds_its_head_among_the_commits_listed()
    {
        Parse(Forge.Gitlab, "Push Hook", "gitlab-push.json").Should().Be(new PushEvent(
            "mike/diaspora", "https://gitlab.example.com/mike/diaspora.git", "master", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
            new PushedCommit("da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "fixed readme", "GitLab dev user <gitlabdev@dv6700.(none)>")));
    }

    [Fact]
    public void A_GitLab_push_whose_head_is_not_listed_has_no_head_commit()
    {
        var json = Patch("gitlab-push.json", ("\"id\": \"da1560886d4f094c3e6c9ef40349f7d38b5d27d7\"", "\"id\": \"b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7328\""));
        ((PushEvent)Parse(Forge.Gitlab, "Push Hook", Encoding.UTF8.GetBytes(json))).Should().Be(new PushEvent(
            "mike/diaspora", "https://gitlab.example.com/mike/diaspora.git", "master", "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", null));
    }

    [Fact]
    public void A_GitLab_branch_deletion_is_a_push_to_an_all_zero_sha()
    {
        Parse(Forge.Gitlab, "Push Hook", "gitlab-push-deleted.json").Should().Be(new PushEvent(
            "mike/diaspora", "https://gitlab.example.com/mike/diaspora.git", "feature/old-checkout", null, null));
    }

    [Fact]
    public void A_GitLab_tag_push_is_ignored()
    {
        Parse(Forge.Gitlab, "Tag Push Hook", "gitlab-tag-push.json").Should().Be(new IgnoredEvent("a push to the tag v1.0.0"));
    }

    [Fact]
    public void A_GitLab_merge_request_opened_in_the_project()
    {
        Parse(Forge.Gitlab, "Merge Request Hook", "gitlab-merge-request-open.json").Should().Be(new PullRequestEvent(
            "awesome_space/awesome_project", 1, PullRequestAction.Opened, false, "MS-Viewport", "root",
            "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "ms-viewport", "https://gitlab.example.com/awesome_space/awesome_project.git", "master", FromFork: false,
            UpdatedAt: new DateTimeOffset(2013, 12, 3, 17, 23, 34, TimeSpan.Zero)));
    }

    [Fact]
    public void A_GitLab_merge_request_from_a_fork_with_new_commits()
    {
        Parse(Forge.Gitlab, "Merge Request Hook", "gitlab-merge-request-fork.json").Should().Be(new PullRequestEvent(
            "awesome_space/awesome_project", 23, PullRequestAction.Updated, false, "Fix typos in the docs", "outsider",
            "c4a8b2e1f9d3c7e5a1b9d2f8e4c6a0b3d5f7e9a1", "fix-typos", "https://gitlab.example.com/outsider/awesome_project.git", "master", FromFork: true));
    }

    [Theory]
    [InlineData("2013-12-03 17:23:34 UTC")]
    [InlineData("2013-12-03T18:23:34+01:00")]
    public void A_GitLab_time_in_either_of_its_spellings_orders_the_merge_request(string spelling)
    {
        var json = Patch("gitlab-merge-request-open.json", ("\"updated_at\": \"2013-12-03T17:23:34Z\"", $"\"updated_at\": \"{spelling}\""));
        ((PullRequestEvent)Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(json))).UpdatedAt
            .Should().Be(new DateTimeOffset(2013, 12, 3, 17, 23, 34, TimeSpan.Zero));
        var unreadable = Patch("gitlab-merge-request-open.json", ("\"updated_at\": \"2013-12-03T17:23:34Z\"", "\"updated_at\": \"yesterday\""));
        ((PullRequestEvent)Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(unreadable))).UpdatedAt
            .Should().BeNull("a time that cannot be read only leaves the delivery unordered");
        var number = Patch("gitlab-merge-request-open.json", ("\"updated_at\": \"2013-12-03T17:23:34Z\"", "\"updated_at\": 1386091414"));
        ((PullRequestEvent)Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(number))).UpdatedAt
            .Should().BeNull("a time of another kind (an epoch number) is unreadable too, and the delivery is still acted on");
    }

    [Fact]
    public void A_GitLab_update_without_an_oldrev_brought_no_commits_and_is_ignored()
    {
        var json = Patch("gitlab-merge-request-fork.json", ("\"oldrev\": \"4e1243bd22c66e76c2ba9eddc1f91394e57f9f83\",", ""));
        Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(json)).Should().Be(new IgnoredEvent("a merge request update without new commits"));
    }

    [Theory]
    [InlineData("reopen", "reopened", false)]
    [InlineData("close", "closed", false)]
    [InlineData("merge", "closed", true)]
    public void GitLab_actions_are_normalized(string action, string expected, bool merged)
    {
        var json = Patch("gitlab-merge-request-open.json", ("\"action\": \"open\"", $"\"action\": \"{action}\""));
        var pull = (PullRequestEvent)Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(json));
        (pull.Action, pull.Merged).Should().Be((JsonSpellings.Parse<PullRequestAction>(expected), merged));
    }

    [Theory]
    [InlineData("approved")]
    [InlineData("unapproval")]
    public void Other_GitLab_actions_are_ignored(string action)
    {
        var json = Patch("gitlab-merge-request-open.json", ("\"action\": \"open\"", $"\"action\": \"{action}\""));
        Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(json)).Should().Be(new IgnoredEvent($"the merge request action '{action}' is not used"));
    }

    [Fact]
    public void A_GitLab_merge_request_whose_source_project_was_deleted_is_from_a_fork_without_a_clone_URL()
    {
        var json = Patch("gitlab-merge-request-fork.json", ("\"source_project_id\": 301", "\"source_project_id\": null"));
        var start = json.IndexOf("\"source\": {", StringComparison.Ordinal);
        json = json[..start] + "\"source\": null," + json[(json.IndexOf("\"target\": {", start, StringComparison.Ordinal) - 1)..];

        var pull = (PullRequestEvent)Parse(Forge.Gitlab, "Merge Request Hook", Encoding.UTF8.GetBytes(json));
        (pull.HeadCloneUrl, pull.FromFork).Should().Be(((string?)null, true));
    }

    [Fact]
    public void A_Gitea_push_reads_like_GitHubs_with_a_CRLF_subject()
    {
        Parse(Forge.Gitea, "push", "gitea-push.json").Should().Be(new PushEvent(
            "gitea/webhooks", "https://git.example.com/gitea/webhooks.git", "develop", "bffeb74224043ba2feb48d137756c8a9331c449a",
            new PushedCommit("bffeb74224043ba2feb48d137756c8a9331c449a", "Webhooks Yay!", "Gitea <someone@gitea.io>")));
    }

    [Fact]
    public void A_Gitea_push_without_a_head_commit_finds_it_among_the_commits()
    {
        var json = Patch("gitea-push.json", ("\"head_commit\": {", "\"old_head_commit\": {"));
        ((PushEvent)Parse(Forge.Gitea, "push", Encoding.UTF8.GetBytes(json))).HeadCommit!.Subject.Should().Be("Webhooks Yay!");
    }

    [Fact]
    public void A_Gitea_tag_push_is_ignored()
    {
        Parse(Forge.Gitea, "push", "gitea-push-tag.json").Should().Be(new IgnoredEvent("a push to the tag v2.0.1"));
    }

    [Fact]
    public void A_Gitea_branch_deletion_comes_as_a_delete_event()
    {
        Parse(Forge.Gitea, "delete", "gitea-delete-branch.json").Should().Be(new PushEvent(
            "gitea/webhooks", "https://git.example.com/gitea/webhooks.git", "feature/old-checkout", null, null));
        var tag = Patch("gitea-delete-branch.json", ("\"ref\": \"feature/old-checkout\"", "\"ref\": \"v2.0.1\""), ("\"ref_type\": \"branch\"", "\"ref_type\": \"tag\""));
        Parse(Forge.Gitea, "delete", Encoding.UTF8.GetBytes(tag)).Should().Be(new IgnoredEvent("the tag v2.0.1 was deleted"));
    }

    [Fact]
    public void A_Gitea_pull_request_from_a_branch_of_the_repository()
    {
        Parse(Forge.Gitea, "pull_request", "gitea-pull-request-opened.json").Should().Be(new PullRequestEvent(
            "gitea/webhooks", 12, PullRequestAction.Opened, false, "Add a health check", "gitea",
            "5e7a3b1c9d8f2e4a6b0c1d3e5f7a9b2c4d6e8f01", "health-check", "https://git.example.com/gitea/webhooks.git", "master", FromFork: false));
    }

    [Fact]
    public void A_Gitea_pull_request_from_a_fork_with_new_commits()
    {
        Parse(Forge.Gitea, "pull_request", "gitea-pull-request-fork.json").Should().Be(new PullRequestEvent(
            "gitea/webhooks", 13, PullRequestAction.Updated, false, "Speed up the build", "visitor",
            "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b", "faster-build", "https://git.example.com/visitor/webhooks.git", "master", FromFork: true));
    }

    [Fact]
    public void A_merged_Gitea_pull_request_is_closed_and_merged()
    {
        var json = Patch("gitea-pull-request-opened.json", ("\"action\": \"opened\"", "\"action\": \"closed\""), ("\"merged\": false", "\"merged\": true"));
        var pull = (PullRequestEvent)Parse(Forge.Gitea, "pull_request", Encoding.UTF8.GetBytes(json));
        (pull.Action, pull.Merged).Should().Be((PullRequestAction.Closed, true));
        var labeled = Patch("gitea-pull-request-opened.json", ("\"action\": \"opened\"", "\"action\": \"label_updated\""));
        Parse(Forge.Gitea, "pull_request", Encoding.UTF8.GetBytes(labeled)).Should().Be(new IgnoredEvent("the pull request action 'label_updated' is not used"));
    }

    [Theory]
    [InlineData("", "The GitHub push payload is not valid JSON")]
    [InlineData("payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D", "The GitHub push payload is not valid JSON (line 1, byte 1)")]
    [InlineData("{\"ref\": \"refs/heads/main\"", "The GitHub push payload is not valid JSON")]
    [InlineData("{} {}", "The GitHub push payload is not valid JSON (line 1, byte 4)")]
    [InlineData("[]", "The GitHub push payload is a JSON array, not an object.")]
    [InlineData("{\"ref\": \"refs/heads/main\", \"after\": \"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c\"}", "repository is missing from the GitHub push payload.")]
    [InlineData("{\"ref\": 7, \"repository\": {\"full_name\": \"a/b\", \"clone_url\": \"https://x/a/b.git\"}}", "ref in the GitHub push payload is a JSON number, not a JSON string.")]
    [InlineData("{\"ref\": \"refs/heads/main\", \"after\": \"--upload-pack=touch /tmp/x\", \"repository\": {\"full_name\": \"a/b\", \"clone_url\": \"https://x/a/b.git\"}}",
        "after in the GitHub push payload is '--upload-pack=touch /tmp/x', not a commit sha (40 or 64 hex digits).")]
    public void A_payload_that_is_not_what_the_forge_documents_is_refused_with_a_400(string json, string expected)
    {
        var parse = () => ForgeEventParser.Parse(Forge.Github, "push", Encoding.UTF8.GetBytes(json));
        var error = parse.Should().Throw<UserException>().Which;
        error.StatusCode.Should().Be(400);
        error.Message.Should().StartWith(expected).And.EndWith("Check that the webhook's URL names the forge that sends it and that its content type is application/json.");
    }

    [Theory]
    [InlineData("github", "pull_request", "github-pull-request-opened.json", "\"sha\": \"ec26c3e57ca3a959ca5aad62de7213c562f8c821\",", "pull_request.head.sha is missing from the GitHub pull_request payload.")]
    [InlineData("github", "pull_request", "github-pull-request-opened.json", "\n  \"number\": 2,", "number is missing from the GitHub pull_request payload.")]
    [InlineData("gitlab", "Merge Request Hook", "gitlab-merge-request-open.json", "\"id\": \"da1560886d4f094c3e6c9ef40349f7d38b5d27d7\",", "object_attributes.last_commit.id is missing from the GitLab Merge Request Hook payload.")]
    [InlineData("gitea", "push", "gitea-push.json", "\"clone_url\": \"https://git.example.com/gitea/webhooks.git\",", "repository.clone_url is missing from the Gitea push payload.")]
    public void A_missing_field_is_named_by_its_path(string forge, string eventName, string file, string removed, string expected)
    {
        var json = Text(file);
        json.Should().Contain(removed);
        var parse = () => ForgeEventParser.Parse(JsonSpellings.Parse<Forge>(forge), eventName, Encoding.UTF8.GetBytes(json.Replace(removed, "", StringComparison.Ordinal)));
        parse.Should().Throw<UserException>().Which.Message.Should().StartWith(expected);
    }

    [Fact]
    public void A_commit_list_of_something_else_than_objects_is_named_by_its_index()
    {
        var json = Patch("gitlab-push.json", ("\"commits\": [", "\"commits\": [7,"));
        var parse = () => Parse(Forge.Gitlab, "Push Hook", Encoding.UTF8.GetBytes(json));
        parse.Should().Throw<UserException>().Which.Message.Should().StartWith("commits[0] in the GitLab Push Hook payload is a JSON number, not a JSON object.");
    }

    private static ForgeEvent Parse(Forge forge, string eventName, string file) => Parse(forge, eventName, File.ReadAllBytes(PathOf(file)));

    private static ForgeEvent Parse(Forge forge, string eventName, byte[] json) => ForgeEventParser.Parse(forge, eventName, json);

    private static string Text(string file) => File.ReadAllText(PathOf(file)).ReplaceLineEndings("\n");

    /// <summary>A payload with each of <paramref name="edits"/> made, each of which must find its text.</summary>
    private static string Patch(string file, params (string From, string To)[] edits) => edits.Aggregate(Text(file), (json, edit) =>
    {
        json.Should().Contain(edit.From);
        return json.Replace(edit.From, edit.To, StringComparison.Ordinal);
    });

    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "Git", "Forges", "Payloads", file);
}
