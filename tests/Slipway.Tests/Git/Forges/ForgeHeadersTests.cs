using System.Text.Json;
using Slipway.Git.Forges;

namespace Slipway.Tests.Git.Forges;

/// <summary>Delivery ids and event names from each forge's headers, and the forges' JSON spellings.</summary>
public sealed class ForgeHeadersTests
{
    private static Func<string, string?> Headers(params (string, string)[] headers) => WebhookSignatureTests.Headers(headers);

    [Fact]
    public void GitHub_names_the_delivery_and_the_event()
    {
        var headers = Headers(("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"), ("X-GitHub-Event", "pull_request"));
        ForgeHeaders.DeliveryId(Forge.Github, headers).Should().Be("72d3162e-cc78-11e3-81ab-4c9367dc0958");
        ForgeHeaders.EventName(Forge.Github, headers).Should().Be("pull_request");
    }

    [Fact]
    public void GitLab_delivery_is_its_idempotency_key_else_the_event_UUID_of_older_GitLab()
    {
        var current = Headers(("Idempotency-Key", "908a6d9e-45fd-46c8-97e6-c4f350f219dd"), ("X-Gitlab-Event-UUID", "1671f880-67c6-45cb-9dfa-f4707face4ba"),
            ("X-Gitlab-Webhook-UUID", "9b62d7ef-fddd-4cac-8b89-65c29acdf561"), ("X-Gitlab-Event", "Merge Request Hook"));
        ForgeHeaders.DeliveryId(Forge.Gitlab, current).Should().Be("908a6d9e-45fd-46c8-97e6-c4f350f219dd");
        ForgeHeaders.EventName(Forge.Gitlab, current).Should().Be("Merge Request Hook");

        var older = Headers(("X-Gitlab-Event-UUID", "1671f880-67c6-45cb-9dfa-f4707face4ba"), ("X-Gitlab-Event", "Push Hook"));
        ForgeHeaders.DeliveryId(Forge.Gitlab, older).Should().Be("1671f880-67c6-45cb-9dfa-f4707face4ba");
    }

    [Fact]
    public void An_older_GitLabs_event_UUID_is_keyed_by_branch_or_merge_request_since_one_push_of_two_branches_shares_it()
    {
        var older = Headers(("X-Gitlab-Event-UUID", "1671f880"), ("X-Gitlab-Event", "Push Hook"));
        PushEvent Push(string branch) => new("acme/shop", "https://gitlab.example/acme/shop.git", branch, "0d1a26e67d8f", null);
        ForgeHeaders.DeliveryKey(Forge.Gitlab, older, "1671f880", Push("main")).Should().Be("1671f880:main");
        ForgeHeaders.DeliveryKey(Forge.Gitlab, older, "1671f880", Push("staging")).Should().Be("1671f880:staging");
        ForgeHeaders.DeliveryKey(Forge.Gitlab, older, "1671f880", new PingEvent()).Should().Be("1671f880");

        var current = Headers(("Idempotency-Key", "908a6d9e"), ("X-Gitlab-Event-UUID", "1671f880"));
        ForgeHeaders.DeliveryKey(Forge.Gitlab, current, "908a6d9e", Push("main")).Should().Be("908a6d9e", "an idempotency key is one delivery's own");
        ForgeHeaders.DeliveryKey(Forge.Github, Headers(("X-GitHub-Delivery", "72d3")), "72d3", Push("main")).Should().Be("72d3");
    }

    [Fact]
    public void Gitea_and_Forgejo_name_them_under_either_prefix()
    {
        var gitea = Headers(("X-Gitea-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473"), ("X-Gitea-Event", "push"), ("X-Gogs-Event", "push"));
        ForgeHeaders.DeliveryId(Forge.Gitea, gitea).Should().Be("f6266f16-1bf3-46a5-9ea4-602e06ead473");
        ForgeHeaders.EventName(Forge.Gitea, gitea).Should().Be("push");

        var forgejo = Headers(("X-Forgejo-Delivery", "0f4a7c7e-2a56-4b1c-9b2b-6a8f00d1c0de"), ("X-Forgejo-Event", "pull_request"));
        ForgeHeaders.DeliveryId(Forge.Gitea, forgejo).Should().Be("0f4a7c7e-2a56-4b1c-9b2b-6a8f00d1c0de");
        ForgeHeaders.EventName(Forge.Gitea, forgejo).Should().Be("pull_request");
    }

    [Theory]
    [InlineData("github")]
    [InlineData("gitlab")]
    [InlineData("gitea")]
    public void Absent_or_blank_headers_are_null_and_another_forges_do_not_count(string spelled)
    {
        var forge = JsonSpellings.Parse<Forge>(spelled);
        var others = Headers(("X-GitHub-Delivery", forge == Forge.Github ? " " : "a"), ("X-GitHub-Event", forge == Forge.Github ? "" : "push"),
            ("X-Gitlab-Event", forge == Forge.Gitlab ? "" : "Push Hook"), ("X-Gitea-Delivery", forge == Forge.Gitea ? "" : "c"));
        ForgeHeaders.DeliveryId(forge, others).Should().BeNull();
        ForgeHeaders.EventName(forge, others).Should().BeNull();
    }

    [Fact]
    public void Forges_are_spelled_github_gitlab_and_gitea()
    {
        JsonSerializer.Serialize(new[] { Forge.Github, Forge.Gitlab, Forge.Gitea }).Should().Be("""["github","gitlab","gitea"]""");
        JsonSerializer.Deserialize<Forge>("\"gitlab\"").Should().Be(Forge.Gitlab);
        JsonSpellings.Parse<Forge>("github").Should().Be(Forge.Github);
        JsonSpellings.Of(PullRequestAction.Updated).Should().Be("updated");
    }
}
