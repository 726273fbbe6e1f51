using System.Text;
using System.Text.Json.Nodes;
using Slipway.Errors;

namespace Slipway.Tests.Errors;

/// <summary>The Sentry protocol's pure parts: envelopes, DSN keys, grouping and scrubbing.</summary>
public sealed class ErrorProtocolTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_envelope_reads_items_with_and_without_length_and_refuses_what_is_malformed()
    {
        var body = Encoding.UTF8.GetBytes(
            "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b@o1.example/42\"}\n" +
            "{\"type\":\"attachment\",\"length\":10}\n0123\n567\r\n\n" +
            "{\"type\":\"event\"}\n{\"message\":\"hi\"}\n");
        var envelope = Envelope.Parse(body);
        envelope.Items.Select(i => i.Type).Should().Equal("attachment", "event");
        envelope.Items[0].Payload.Length.Should().Be(10, "a length counts bytes, newlines inside included");
        Encoding.UTF8.GetString(envelope.Items[1].Payload.Span).Should().Be("{\"message\":\"hi\"}");
        SentryAuth.ParseDsn(envelope.Dsn).Should().Be((42L, "e12d836b15bb49d7bbf99e64295d995b"));

        FluentActions.Invoking(() => Envelope.Parse(Encoding.UTF8.GetBytes("{}\n{\"length\":2}\n{}\n"))).Should().Throw<ErrorIngestException>()
            .WithMessage("*item 1's header has no \"type\"*");
        FluentActions.Invoking(() => Envelope.Parse(Array.Empty<byte>())).Should().Throw<ErrorIngestException>().WithMessage("*empty*");
        FluentActions.Invoking(() => Envelope.Parse(Encoding.UTF8.GetBytes("[1]\n"))).Should().Throw<ErrorIngestException>().WithMessage("*not a JSON object*");
    }

    [Theory]
    [InlineData("Sentry sentry_version=7, sentry_client=sentry.javascript.node/11.12.0, sentry_key=abc123", null, null, "abc123")]
    [InlineData(null, "Sentry sentry_key=def456,sentry_version=7", null, "def456")]
    [InlineData(null, null, "ghi789", "ghi789")]
    [InlineData("Sentry sentry_version=7", null, null, null)]
    public void The_key_comes_from_the_auth_header_authorization_or_the_query(string? header, string? authorization, string? query, string? key) =>
        SentryAuth.KeyOf(header, authorization, query).Should().Be(key);

    [Fact]
    public void Events_group_by_type_and_in_app_frames_not_by_message_line_numbers_or_bundle_hashes()
    {
        var a = Event("TypeError", "Cannot read order 41", ("https://shop.example/assets/index-4f2a9c1b.js", "loadOrder", 10, true), ("node:internal/x", "run", 1, false));
        var b = Event("TypeError", "Cannot read order 42", ("http://127.0.0.1:3000/assets/index-Bq3x9Zk2.js?v=2", "loadOrder", 99, true), ("node:internal/y", "other", 2, false));
        var other = Event("TypeError", "Cannot read order 41", ("https://shop.example/assets/index-4f2a9c1b.js", "saveOrder", 10, true));
        Grouping.Fingerprint(a).Should().Be(Grouping.Fingerprint(b), "the same bug in the next build is the same issue");
        Grouping.Fingerprint(a).Should().NotBe(Grouping.Fingerprint(other));
        Grouping.FileOf("https://shop.example/assets/index-4f2a9c1b.js?v=3").Should().Be("assets/index.js");
        Grouping.FileOf("/app/.next/static/chunks/main.3f9a2b1c7d.chunk.js").Should().Be("app/.next/static/chunks/main.chunk.js");
        Grouping.FileOf("src/controllers/orders.js").Should().Be("src/controllers/orders.js");

        var noStack = Event("ConnectionError", "timeout after 5000 ms to 10.0.0.7");
        var noStack2 = Event("ConnectionError", "timeout after 3000 ms to 10.0.0.7");
        Grouping.Fingerprint(noStack).Should().Be(Grouping.Fingerprint(noStack2), "without frames, numbers in the message do not split issues");

        var custom = a with { Fingerprint = ["payments", "{{ default }}"] };
        var custom2 = other with { Fingerprint = ["payments", "{{ default }}"] };
        Grouping.Fingerprint(custom).Should().NotBe(Grouping.Fingerprint(a)).And.NotBe(Grouping.Fingerprint(custom2));
        Grouping.Fingerprint(a with { Fingerprint = ["db-down"] }).Should().Be(Grouping.Fingerprint(other with { Fingerprint = ["db-down"] }));
    }

    [Fact]
    public void Scrubbing_takes_out_secret_values_credentials_cookies_emails_and_card_numbers()
    {
        var body = JsonNode.Parse("""
            {
              "message": "charging with sk_live_51Hx9secret for ada@example.com card 4242 4242 4242 4242, order 1234567890123",
              "request": { "url": "https://shop/pay", "headers": { "Authorization": "Bearer abc", "Cookie": "sid=1", "Accept": "text/html" },
                           "cookies": { "sid": "1" } },
              "user": { "id": "u1", "email": "ada@example.com", "ip_address": "10.0.0.1" },
              "extra": { "password": "hunter2", "apiKey": "k", "nested": [ { "session_token": "t" }, "sk_live_51Hx9secret" ] },
              "breadcrumbs": { "values": [ { "category": "console", "message": "key is sk_live_51Hx9secret" } ] }
            }
            """)!.AsObject();
        Scrubber.Scrub(body, ["sk_live_51Hx9secret", "short"]);
        var text = body.ToJsonString();
        text.Should().NotContain("sk_live_51Hx9secret").And.NotContain("ada@example.com").And.NotContain("4242 4242").And.NotContain("hunter2")
            .And.NotContain("Bearer abc").And.NotContain("sid=1").And.NotContain("10.0.0.1");
        text.Should().Contain("order 1234567890123", "a number that is no card number (Luhn) stays").And.Contain("text/html").And.Contain("\"id\":\"u1\"");
        body["extra"]!["apiKey"]!.GetValue<string>().Should().Be(Scrubber.Filtered);
    }

    private static ErrorEvent Event(string type, string value, params (string File, string Function, int Line, bool InApp)[] frames) =>
        new(new string('a', 32), Now, "error", "node", "r1", "production", null,
            [new ExceptionInfo(type, value, null, [.. frames.Reverse().Select(f => new StackFrame(f.File, f.File, f.Function, null, f.Line, 1, f.InApp))], false)],
            null, null, null, new JsonObject());
}
