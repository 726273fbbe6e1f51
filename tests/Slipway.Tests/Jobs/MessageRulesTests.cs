using System.Text;
using Slipway.Jobs;

namespace Slipway.Tests.Jobs;

public sealed class MessageRulesTests
{
    private static readonly DateTimeOffset Now = JobTime.Parse("2026-03-02T10:00:00Z");

    [Fact]
    public void A_signature_verifies_only_with_the_key_the_body_and_a_recent_time()
    {
        var body = Encoding.UTF8.GetBytes("{\"user\":42}");
        var header = MessageSigner.Sign("key-1", Now, body);

        header.Should().MatchRegex("^t=\\d+,v1=[0-9a-f]{64}$");
        MessageSigner.Verify("key-1", header, body, Now.AddSeconds(30), TimeSpan.FromMinutes(5)).Should().BeTrue();
        MessageSigner.Verify("key-2", header, body, Now, TimeSpan.FromMinutes(5)).Should().BeFalse("another key");
        MessageSigner.Verify("key-1", header, Encoding.UTF8.GetBytes("{\"user\":43}"), Now, TimeSpan.FromMinutes(5)).Should().BeFalse("altered body");
        MessageSigner.Verify("key-1", header, body, Now.AddHours(1), TimeSpan.FromMinutes(5)).Should().BeFalse("replayed later");
    }

    [Theory]
    [InlineData("t=99999999999999,v1=00")]
    [InlineData("t=1,t=2,v1=00")]
    [InlineData("v1=00,v1=11,t=1")]
    [InlineData("")]
    public void A_malformed_signature_header_is_rejected_not_thrown(string header)
    {
        var verify = () => MessageSigner.Verify("key-1", header, "x"u8, Now, TimeSpan.FromMinutes(5));

        verify.Should().NotThrow("a receiver given a forged header must answer 401, not 500").Which.Should().BeFalse();
    }

    [Fact]
    public void A_delay_or_a_time_sets_when_it_is_due_with_defaults_for_the_rest()
    {
        var (delayed, _) = new PublishRequest(Path: "/jobs/a", Body: "x", Delay: "90s").Validate(Now, new Dictionary<string, string>());
        var (timed, _) = new PublishRequest(Path: "/jobs/a", NotBefore: Now.AddHours(2)).Validate(Now, new Dictionary<string, string>());
        var (past, _) = new PublishRequest(Path: "/jobs/a", NotBefore: Now.AddHours(-2)).Validate(Now, new Dictionary<string, string>());

        delayed!.NotBefore.Should().Be(Now.AddSeconds(90));
        (delayed.Method, delayed.Retries, delayed.Backoff).Should().Be(("POST", PublishRequest.DefaultRetries, PublishRequest.DefaultBackoff));
        delayed.Body.Should().Equal(Encoding.UTF8.GetBytes("x"));
        timed!.NotBefore.Should().Be(Now.AddHours(2));
        past!.NotBefore.Should().Be(Now, "a time in the past is due at once");
    }

    [Fact]
    public void External_urls_need_their_host_allowed_in_the_apps_config()
    {
        var config = new Dictionary<string, string> { [PublishRequest.AllowedHostsVariable] = "hooks.example.com, api.example.org" };

        new PublishRequest(Url: "https://hooks.example.com/in").Validate(Now, config).Message.Should().NotBeNull();
        var (refused, problems) = new PublishRequest(Url: "https://evil.example.net/in").Validate(Now, config);
        refused.Should().BeNull();
        problems.Should().ContainSingle().Which.Should().Contain("evil.example.net is not an allowed host");
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var (message, problems) = new PublishRequest(Path: "jobs", Url: "ftp://x", Method: "TRACE", Body: "a", BodyBase64: "YQ==",
            Delay: "1m", NotBefore: Now, Retries: -1, Backoff: "1ms", Headers: new() { ["Slipway-Signature"] = "forged" })
            .Validate(Now, new Dictionary<string, string>());

        message.Should().BeNull();
        problems.Should().HaveCount(9);
        problems.Should().Contain(p => p.Contains("not both or neither")).And.Contain(p => p.StartsWith("path:"))
            .And.Contain(p => p.StartsWith("url:")).And.Contain(p => p.StartsWith("method:"))
            .And.Contain(p => p.Contains("Slipway-Signature is set by the platform")).And.Contain(p => p.StartsWith("retries:"))
            .And.Contain(p => p.StartsWith("backoff:"));
    }
}
