using System.Text.Json;
using MailKit.Security;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;

namespace Slipway.Tests.Monitoring.Channels;

/// <summary>Pure: what `channels add` accepts, how it refuses (every mistake at once, naming its flag, never echoing a
/// secret), how destinations are masked, Discord's limits and the SMTP transport security.</summary>
public sealed class ChannelSpecTests
{
    private static ChannelSpec Parse(string? name = "ops", string? webhook = null, string? slack = null, string? discord = null, string? email = null,
        string? smtp = null, string? from = null, string? secret = null, string? password = null, string? severity = null, string[]? apps = null) =>
        ChannelSpec.Parse(name, webhook, slack, discord, email, smtp, from, secret, password, severity, apps, "paas.example.com");

    private static string Refused(Func<ChannelSpec> parse) => parse.Should().Throw<UserException>().Which.Message;

    [Fact]
    public void Good_channels_are_parsed_and_shown_masked()
    {
        var hook = Parse(webhook: "https://hooks.example.com/T000/B000/secret-token?x=1", severity: "critical", apps: ["shop", " billing", "shop"]);
        (hook.Kind, hook.MinSeverity).Should().Be((ChannelKind.Webhook, AlertSeverity.Critical));
        hook.Apps.Should().Equal("shop", "billing");
        hook.Destination.Should().Be("https://hooks.example.com/***");
        hook.SigningSecret.Should().StartWith("whsec_");
        Parse(webhook: "https://hooks.example.com/x", secret: "given-secret-0123456789").SigningSecret.Should().Be("given-secret-0123456789");
        Parse(discord: "https://discord.com/api/webhooks/1/abc").SigningSecret.Should().BeNull();

        var mail = Parse(email: "ops@example.com,oncall@example.com", smtp: "smtp://alerts@mail.example.com", password: "pw-123456");
        mail.Destination.Should().Be("ops@example.com, oncall@example.com via smtp://***@mail.example.com:587");
        mail.From.Should().Be("slipway@paas.example.com");
        Parse(email: "ops@example.com", smtp: "smtps://mail.example.com:2465", from: "alerts@example.com").Destination
            .Should().Be("ops@example.com via smtps://mail.example.com:2465");
    }

    [Fact]
    public void Bad_input_is_refused_whole_naming_each_flag_and_what_to_do()
    {
        Refused(() => Parse()).Should().Contain("Give one destination: --webhook URL");
        Refused(() => Parse(webhook: "https://a.example.com/x", slack: "https://b.example.com/y")).Should().Contain("not --webhook and --slack");
        var many = Refused(() => Parse(name: "Ops!", webhook: "http://hooks.example.com/tok-secret-77", severity: "urgent", apps: ["Shop"]));
        many.Should().Contain("The channel name 'Ops!' cannot be used").And.Contain("--webhook http://hooks.example.com/***: alerts and the webhook's token must travel encrypted")
            .And.Contain("--severity: expected warning (every alert) or critical (critical ones only), got 'urgent'").And.Contain("--apps: 'Shop' is not an app name")
            .And.NotContain("tok-secret-77");
        Refused(() => Parse(email: "ops@example.com", smtp: "mail.example.com:25")).Should().Contain("--smtp: expected smtp://HOST:PORT or smtps://HOST:PORT");
        Refused(() => Parse(email: "ops@example.com", smtp: "smtp://u:hunter2-pw@mail.example.com:587")).Should().Contain("pipe it in with --smtp-password-stdin")
            .And.NotContain("hunter2-pw");
        Refused(() => Parse(email: "ops@example.com", smtp: "smtp://u@mail.example.com:587")).Should().Contain("give its password with --smtp-password-stdin");
        Refused(() => Parse(email: "ops@example.com")).Should().Contain("--email needs --smtp");
        Refused(() => Parse(email: "ops, Bob <bob@example.com>", smtp: "smtp://127.0.0.1:25")).Should().Contain("--email: 'ops' is not an e-mail address")
            .And.Contain("--email: 'Bob <bob@example.com>' is not an e-mail address");
        Refused(() => Parse(email: "ops@example.com", smtp: "smtp://127.0.0.1:25", from: "nobody")).Should().Contain("--from: 'nobody' is not an e-mail address");
        Refused(() => Parse(slack: "https://hooks.slack.com/x", smtp: "smtp://127.0.0.1:25", secret: "0123456789abcdef0"))
            .Should().Contain("--smtp is for --email channels").And.Contain("--secret-stdin is for --webhook channels");
        Refused(() => Parse(webhook: "https://hooks.example.com/x", secret: "short")).Should().Contain("--secret-stdin: the signing secret must be at least 16 characters");
    }

    [Fact]
    public void Discord_bodies_stay_within_Discords_limits()
    {
        var notice = new AlertNotice("n-1", "a-1", NoticeKind.Firing, "custom", "web", "shop", AlertSeverity.Warning, new string('t', 3000),
            new string('d', 9000), DateTimeOffset.UnixEpoch, null, DateTimeOffset.UnixEpoch, [], "not a url");
        var body = JsonDocument.Parse(ChannelBodies.Discord(ChannelMessage.Of(notice))).RootElement;
        body.GetProperty("content").GetString()!.Length.Should().BeLessThanOrEqualTo(ChannelBodies.DiscordContentMax);
        var embed = body.GetProperty("embeds")[0];
        embed.GetProperty("title").GetString().Should().HaveLength(ChannelBodies.DiscordTitleMax).And.EndWith("…");
        embed.GetProperty("description").GetString()!.Length.Should().Be(ChannelBodies.DiscordDescriptionMax);
        embed.TryGetProperty("url", out _).Should().BeFalse("Discord refuses an embed whose url is not one");
        embed.GetProperty("color").GetInt32().Should().Be(0xECB22E);
    }

    [Fact]
    public void Slack_text_escapes_what_Slack_reads_as_markup()
    {
        var notice = ChannelHarness.Notice("n-1", title: "p95 > 1s & <rising>");
        var text = JsonDocument.Parse(ChannelBodies.Slack(ChannelMessage.Of(notice))).RootElement.GetProperty("text").GetString();
        text.Should().StartWith("*[FIRING] p95 &gt; 1s &amp; &lt;rising&gt;*");
    }

    [Theory]
    [InlineData("smtps://mail.example.com:465", true, SecureSocketOptions.SslOnConnect)]
    [InlineData("smtp://mail.example.com:587", true, SecureSocketOptions.StartTls)]
    [InlineData("smtp://mail.example.com:587", false, SecureSocketOptions.StartTlsWhenAvailable)]
    [InlineData("smtp://127.0.0.1:25", true, SecureSocketOptions.None)]
    public void A_password_never_crosses_a_network_in_the_clear(string server, bool password, SecureSocketOptions expected) =>
        EmailChannelTarget.Security(new Uri(server), password).Should().Be(expected);
}
