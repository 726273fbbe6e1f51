using System.Text.Json.Nodes;
using Slipway.Git;
using Slipway.Git.Forges;

namespace Slipway.Tests.Git.Forges;

/// <summary>The REST calls for statuses and comments, exactly as each forge documents them.</summary>
public sealed class ForgeApiTests
{
    [Theory]
    [InlineData("github", "https://github.com/acme/shop.git", null, "https://api.github.com", "acme/shop")]
    [InlineData("github", "https://git.corp.example/acme/shop", null, "https://git.corp.example/api/v3", "acme/shop")]
    [InlineData("gitlab", "https://gitlab.com/group/sub/shop.git", null, "https://gitlab.com/api/v4", "group/sub/shop")]
    [InlineData("gitea", "https://codeberg.org/acme/shop.git", null, "https://codeberg.org/api/v1", "acme/shop")]
    [InlineData("gitea", "http://127.0.0.1:3000/acme/shop.git", "http://127.0.0.1:3000/forge/api/v1/", "http://127.0.0.1:3000/forge/api/v1", "acme/shop")]
    public void The_api_base_is_each_forges_own_unless_given(string forge, string repo, string? given, string api, string path)
    {
        var repository = ForgeRepository.Of(Slipway.JsonSpellings.Parse<Forge>(forge), repo, given);
        repository.ApiBase.Should().Be(api);
        repository.Path.Should().Be(path);
    }

    [Theory]
    [InlineData("git@github.com:acme/shop.git")]
    [InlineData("https://github.com/shop")]
    public void A_url_that_names_no_repository_is_refused(string repo) =>
        FluentActions.Invoking(() => ForgeRepository.Of(Forge.Github, repo, null)).Should().Throw<UserException>().WithMessage("*https://github.com/acme/shop.git*");

    [Fact]
    public void A_github_status_is_posted_with_its_token_and_api_version()
    {
        var repo = ForgeRepository.Of(Forge.Github, "https://github.com/acme/shop.git", null);
        using var request = ForgeApi.Status(repo, "ghp_x", "abc123", CommitState.Failure, "slipway/production", new string('x', 200), "https://shop.example.com");
        request.Method.Should().Be(HttpMethod.Post);
        request.RequestUri!.ToString().Should().Be("https://api.github.com/repos/acme/shop/statuses/abc123");
        request.Headers.Authorization!.ToString().Should().Be("Bearer ghp_x");
        request.Headers.GetValues("X-GitHub-Api-Version").Single().Should().Be("2022-11-28");
        var body = Body(request);
        ((string?)body["state"]).Should().Be("failure");
        ((string?)body["context"]).Should().Be("slipway/production");
        ((string?)body["description"])!.Length.Should().Be(ForgeApi.MaxDescription, "GitHub refuses a longer description");
        ((string?)body["target_url"]).Should().Be("https://shop.example.com");
    }

    [Fact]
    public void A_gitlab_status_and_note_name_the_project_by_its_encoded_path()
    {
        var repo = ForgeRepository.Of(Forge.Gitlab, "https://gitlab.example.com/group/sub/shop.git", null);
        using var status = ForgeApi.Status(repo, "glpat", "abc", CommitState.Failure, "slipway/pr-3", "Failed", null);
        status.RequestUri!.AbsoluteUri.Should().Be("https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fshop/statuses/abc");
        status.Headers.GetValues("PRIVATE-TOKEN").Single().Should().Be("glpat");
        var body = Body(status);
        ((string?)body["state"]).Should().Be("failed");
        ((string?)body["name"]).Should().Be("slipway/pr-3");
        body.ContainsKey("target_url").Should().BeFalse();
        using var note = ForgeApi.CreateComment(repo, "glpat", 3, "hi");
        note.RequestUri!.AbsoluteUri.Should().EndWith("/projects/group%2Fsub%2Fshop/merge_requests/3/notes");
        using var edit = ForgeApi.UpdateComment(repo, "glpat", 3, "77", "hi again");
        edit.Method.Should().Be(HttpMethod.Put);
        edit.RequestUri!.AbsoluteUri.Should().EndWith("/merge_requests/3/notes/77");
    }

    [Fact]
    public void A_gitea_comment_is_created_on_the_issue_and_edited_by_its_id()
    {
        var repo = ForgeRepository.Of(Forge.Gitea, "https://codeberg.org/acme/shop.git", null);
        using var create = ForgeApi.CreateComment(repo, "tok", 9, "hello");
        create.RequestUri!.ToString().Should().Be("https://codeberg.org/api/v1/repos/acme/shop/issues/9/comments");
        create.Headers.Authorization!.ToString().Should().Be("token tok");
        ((string?)Body(create)["body"]).Should().Be("hello");
        using var edit = ForgeApi.UpdateComment(repo, "tok", 9, "42", "hello again");
        edit.Method.Should().Be(HttpMethod.Patch);
        edit.RequestUri!.ToString().Should().Be("https://codeberg.org/api/v1/repos/acme/shop/issues/comments/42");
        ForgeApi.CommentId("{\"id\": 42, \"body\": \"x\"}").Should().Be("42");
        ForgeApi.CommentId("<html>").Should().BeNull();
    }

    [Fact]
    public void The_preview_comment_keeps_an_error_in_its_table_cell()
    {
        var preview = new PreviewRecord("shop", 7, "0123456789abcdef", "feature", "https://github.com/acme/shop.git", false, "Title", "octo",
            PreviewState.Deploying, null, "d-1", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        var text = PreviewComment.Text(preview, "❌ Failed: a | b\nc", null, "Read the log.");
        text.Should().StartWith(PreviewComment.Marker).And.Contain("| `0123456789ab` | ❌ Failed: a \\| b c | – |").And.Contain("Read the log.")
            .And.Contain("Deployment `d-1`");
    }

    private static JsonObject Body(HttpRequestMessage request) => JsonNode.Parse(request.Content!.ReadAsStream())!.AsObject();
}
