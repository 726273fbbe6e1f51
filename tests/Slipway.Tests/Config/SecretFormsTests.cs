using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Slipway.Config;

namespace Slipway.Tests.Config;

/// <summary>Each form an app prints a secret in is redacted; what is not caught is listed in src/Slipway/Config/README.md.</summary>
public sealed class SecretFormsTests
{
    // Quotes, a backslash, a newline, non-ASCII and URL-reserved characters: every encoding changes it.
    private const string Tricky = "p\"w\\d\nünï+/=&?: 7";
    private const string Token = "sk_live_4eC39HqLyjWDarjtT1zdp7dc";
    private static readonly JsonSerializerOptions AsJavaScript = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static SecretRedactor With(params (string Name, string Value)[] secrets)
    {
        var redactor = new SecretRedactor();
        redactor.Register("app", secrets);
        return redactor;
    }

    public static TheoryData<string, string> Forms() => new()
    {
        { "as is", Tricky },
        { "JSON.stringify", JsonSerializer.Serialize(Tricky, AsJavaScript)[1..^1] },
        { "System.Text.Json default", JsonSerializer.Serialize(Tricky)[1..^1] },
        { "ensure_ascii (lower-case \\u)", "p\\\"w\\\\d\\n\\u00fcn\\u00ef+/=&?: 7" },
        { "Uri.EscapeDataString", Uri.EscapeDataString(Tricky) },
        { "form encoding", WebUtility.UrlEncode(Tricky) },
        { "lower-case %xx", Uri.EscapeDataString(Tricky).ToLowerInvariant() },
        { "base64", Convert.ToBase64String(Encoding.UTF8.GetBytes(Tricky)) },
        { "base64 without padding", Convert.ToBase64String(Encoding.UTF8.GetBytes(Tricky)).TrimEnd('=') },
        { "base64 URL-safe", Convert.ToBase64String(Encoding.UTF8.GetBytes(Tricky)).TrimEnd('=').Replace('+', '-').Replace('/', '_') },
        { "hex", Convert.ToHexStringLower(Encoding.UTF8.GetBytes(Tricky)) },
        { "HEX", Convert.ToHexString(Encoding.UTF8.GetBytes(Tricky)) },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Each_form_of_a_secret_is_redacted(string form, string printed)
    {
        var line = $"before {printed} after";
        var redacted = With(("KEY", Tricky)).Redact("app", line);
        redacted.Should().Contain("[secret KEY]", form).And.StartWith("before ").And.EndWith(" after");
        redacted.Should().NotContain(printed, form);
    }

    [Theory]
    [InlineData("")]
    [InlineData("u")]
    [InlineData("us")]
    [InlineData("use")]
    public void Base64_of_a_longer_text_that_holds_the_secret_is_redacted_at_every_offset(string prefix)
    {
        // Basic auth: base64("user:secret"). The secret's bytes start at any offset of a 3-byte group.
        var header = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + Token + "@host"));
        var redacted = With(("TOKEN", Token)).Redact("app", header);
        redacted.Should().Contain("[secret TOKEN]");
        // All 42 characters that depend on the 32 bytes alone are gone; what is left carries bits of the neighbours.
        (header.Length - redacted.Replace("[secret TOKEN]", "", StringComparison.Ordinal).Length).Should().BeGreaterThanOrEqualTo(42);
    }

    [Fact]
    public void Each_line_of_a_multi_line_value_is_redacted_but_its_marker_lines_are_not()
    {
        var pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----\n";
        var redactor = With(("TLS_KEY", pem));
        redactor.Redact("app", "loaded MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu").Should().Be("loaded [secret TLS_KEY]");
        redactor.Redact("app", "-----BEGIN PRIVATE KEY-----").Should().Be("-----BEGIN PRIVATE KEY-----");
        redactor.Redact("app", pem.ReplaceLineEndings("\\n")).Should().NotContain("MIIEvQ");
    }

    [Fact]
    public void The_longest_secret_wins_and_lines_without_secrets_are_returned_as_they_are()
    {
        var redactor = With(("SHORT", "abcd1234"), ("LONG", "abcd1234-and-more"));
        redactor.Redact("app", "x abcd1234-and-more y abcd1234 z").Should().Be("x [secret LONG] y [secret SHORT] z");
        const string clean = "GET /health 200 in 3 ms";
        redactor.Redact("app", clean).Should().BeSameAs(clean);
        redactor.Redact("other", "abcd1234").Should().Be("abcd1234", "secrets are per app");
    }

    [Fact]
    public void Encoded_forms_of_short_secrets_are_not_searched_for()
    {
        // At byte offsets 1 and 2 the base64 of "s3cr" is 4 and 5 characters: chance matches in any text. Its raw form
        // (and its whole base64, 8 characters) are still redacted.
        SecretForms.Of("s3cr").Should().OnlyContain(form => form == "s3cr" || form.Length >= 6);
        With(("PIN", "s3cr")).Redact("app", "pin s3cr").Should().Be("pin [secret PIN]");
    }

    [Fact]
    public void Large_secrets_keep_the_search_small_and_are_still_redacted_whole()
    {
        var redactor = new SecretRedactor();
        var secrets = Enumerable.Range(0, 8).Select(i => ($"KEY{i}", string.Concat(Enumerable.Range(0, 120 * 1024 / 16).Select(j => $"{i:x2}{j:x14}")))).ToList();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        redactor.Register("big", secrets);
        var line = "prefix " + secrets[3].Item2 + " suffix " + secrets[5].Item2[..64];
        redactor.Redact("big", line).Should().Be("prefix [secret KEY3] suffix " + secrets[5].Item2[..64], "a matching anchor alone is not a secret");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The forms themselves (~25 MB) are kept; a search over whole forms allocated hundreds of MiB more.
        allocated.Should().BeLessThan(200L * 1024 * 1024);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20));
    }
}
