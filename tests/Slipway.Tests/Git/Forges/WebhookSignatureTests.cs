using System.Security.Cryptography;
using System.Text;
using Slipway.Git.Forges;

namespace Slipway.Tests.Git.Forges;

/// <summary>Signatures and tokens of each forge, checked with GitHub's published test vector ("Validating webhook
/// deliveries", "Testing the webhook payload validation") and with what each way of getting it wrong looks like.</summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "It's a Secret to Everybody";
    private const string Digest = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");

    [Fact]
    public void GitHubs_published_test_vector_is_valid()
    {
        Verify(Forge.Github, ("X-Hub-Signature-256", "sha256=" + Digest)).Should().Be(new SignatureCheck(SignatureVerdict.Valid, "X-Hub-Signature-256"));
    }

    [Fact]
    public void Hex_is_read_in_either_case()
    {
        Verify(Forge.Github, ("X-Hub-Signature-256", "sha256=" + Digest.ToUpperInvariant())).Verdict.Should().Be(SignatureVerdict.Valid);
        Verify(Forge.Gitea, ("X-Gitea-Signature", Digest.ToUpperInvariant())).Verdict.Should().Be(SignatureVerdict.Valid);
    }

    [Fact]
    public void Another_secret_is_invalid()
    {
        WebhookSignature.Verify(Forge.Github, Headers(("X-Hub-Signature-256", "sha256=" + Digest)), Body, "It's a Secret to Nobody")
            .Should().Be(new SignatureCheck(SignatureVerdict.Invalid, "X-Hub-Signature-256"));
    }

    [Fact]
    public void A_body_changed_on_the_way_is_invalid()
    {
        WebhookSignature.Verify(Forge.Github, Headers(("X-Hub-Signature-256", "sha256=" + Digest)), Encoding.UTF8.GetBytes("Hello, World?"), Secret)
            .Verdict.Should().Be(SignatureVerdict.Invalid);
        WebhookSignature.Verify(Forge.Gitea, Headers(("X-Gitea-Signature", Digest)), Encoding.UTF8.GetBytes("Hello, World!\n"), Secret)
            .Verdict.Should().Be(SignatureVerdict.Invalid);
    }

    [Theory]
    [InlineData("github", "X-Hub-Signature-256")]
    [InlineData("gitlab", "X-Gitlab-Token")]
    [InlineData("gitea", "X-Gitea-Signature or X-Forgejo-Signature")]
    public void No_header_is_missing_and_names_the_header_expected(string spelled, string expected)
    {
        var forge = JsonSpellings.Parse<Forge>(spelled);
        Verify(forge).Should().Be(new SignatureCheck(SignatureVerdict.Missing, expected));
        Verify(forge, ("X-Hub-Signature-256", ""), ("X-Gitlab-Token", " "), ("X-Gitea-Signature", "")).Verdict.Should().Be(SignatureVerdict.Missing);
    }

    [Theory]
    [InlineData(Digest)] // GitHub's header carries the algorithm
    [InlineData("sha1=" + Digest)]
    [InlineData("sha256=" + "zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")] // not hex
    [InlineData("sha256=" + "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e")] // 31 bytes
    [InlineData("sha256=" + Digest + "17")] // 33 bytes
    [InlineData("sha256=" + "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1")] // odd length
    [InlineData("sha256=")]
    public void A_malformed_GitHub_signature_is_invalid(string value)
    {
        Verify(Forge.Github, ("X-Hub-Signature-256", value)).Should().Be(new SignatureCheck(SignatureVerdict.Invalid, "X-Hub-Signature-256"));
    }

    [Fact]
    public void GitLab_sends_the_secret_itself_as_its_token()
    {
        Verify(Forge.Gitlab, ("X-Gitlab-Token", Secret)).Should().Be(new SignatureCheck(SignatureVerdict.Valid, "X-Gitlab-Token"));
        Verify(Forge.Gitlab, ("X-Gitlab-Token", "It's a Secret to Everybodx")).Verdict.Should().Be(SignatureVerdict.Invalid);
        Verify(Forge.Gitlab, ("X-Gitlab-Token", Secret + "!")).Verdict.Should().Be(SignatureVerdict.Invalid, "a longer token is not the secret");
        Verify(Forge.Gitlab, ("X-Gitlab-Token", "It's a")).Verdict.Should().Be(SignatureVerdict.Invalid, "nor is a prefix of it");
        Verify(Forge.Gitlab, ("X-Hub-Signature-256", "sha256=" + Digest)).Verdict.Should().Be(SignatureVerdict.Missing, "GitLab does not sign bodies");
    }

    [Fact]
    public void Gitea_and_Forgejo_send_the_hex_digest_without_a_prefix_under_either_name()
    {
        Verify(Forge.Gitea, ("X-Gitea-Signature", Digest)).Should().Be(new SignatureCheck(SignatureVerdict.Valid, "X-Gitea-Signature"));
        Verify(Forge.Gitea, ("X-Forgejo-Signature", Digest)).Should().Be(new SignatureCheck(SignatureVerdict.Valid, "X-Forgejo-Signature"));
        Verify(Forge.Gitea, ("X-Forgejo-Signature", Digest), ("X-Gitea-Signature", Digest)).Verdict.Should().Be(SignatureVerdict.Valid);
        Verify(Forge.Gitea, ("X-Gitea-Signature", "sha256=" + Digest)).Should().Be(new SignatureCheck(SignatureVerdict.Invalid, "X-Gitea-Signature"));
        Verify(Forge.Gitea, ("X-Forgejo-Signature", Digest[..^2] + "00")).Should().Be(new SignatureCheck(SignatureVerdict.Invalid, "X-Forgejo-Signature"));
    }

    [Fact]
    public void A_real_payload_signed_with_HMAC_SHA256_is_valid_and_its_hex_is_the_forges()
    {
        var body = Encoding.UTF8.GetBytes("""{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}""");
        var hex = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cr3t"), body));

        WebhookSignature.Verify(Forge.Github, Headers(("X-Hub-Signature-256", "sha256=" + hex)), body, "s3cr3t").IsValid.Should().BeTrue();
        WebhookSignature.Verify(Forge.Gitea, Headers(("X-Gitea-Signature", hex)), body, "s3cr3t").IsValid.Should().BeTrue();
        WebhookSignature.Verify(Forge.Gitea, Headers(("X-Gitea-Signature", hex)), body, "s3cr3T").IsValid.Should().BeFalse();
    }

    [Fact]
    public void An_empty_secret_is_a_bug_not_a_match()
    {
        var verify = () => WebhookSignature.Verify(Forge.Gitlab, Headers(("X-Gitlab-Token", "")), Body, "");
        verify.Should().Throw<ArgumentException>();
    }

    private static SignatureCheck Verify(Forge forge, params (string Name, string Value)[] headers) =>
        WebhookSignature.Verify(forge, Headers(headers), Body, Secret);

    /// <summary>Names looked up in any case, as ASP.NET's request headers are.</summary>
    internal static Func<string, string?> Headers(params (string Name, string Value)[] headers)
    {
        var map = headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);
        return name => map.GetValueOrDefault(name);
    }
}
