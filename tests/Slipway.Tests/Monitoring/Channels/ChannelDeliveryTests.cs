using System.Diagnostics;
using System.Text.Json;
using Slipway.Jobs;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Channels;

/// <summary>Notices delivered by the real <see cref="AlertChannels"/> to real receivers on loopback (Kestrel for the
/// webhooks, an SMTP sink for e-mail): what each channel gets, filters, deduplication, retries, a channel that is down,
/// and the rate limit's summary.</summary>
public sealed class ChannelDeliveryTests
{
    [Fact]
    public async Task A_notice_reaches_a_signed_webhook_Slack_Discord_and_email_once_each_in_their_own_shapes()
    {
        await using var webhook = await AlertWebhookReceiver.StartAsync();
        await using var slack = await AlertWebhookReceiver.StartAsync();
        await using var discord = await AlertWebhookReceiver.StartAsync();
        await using var smtp = SmtpSink.Start(requireAuth: true);
        await using var harness = await ChannelHarness.StartAsync();
        var added = harness.Add("hook", webhook: webhook.Url);
        webhook.SigningSecret = added.SigningSecret;
        added.SigningSecret.Should().StartWith("whsec_").And.HaveLength(6 + 64);
        harness.Add("chat", slack: slack.Url);
        harness.Add("dc", discord: discord.Url);
        harness.Add("mail", email: "ops@example.com, oncall@example.com", smtp: $"smtp://alerts@127.0.0.1:{smtp.Port}", password: "smtp-pass-4242");

        var firing = ChannelHarness.Notice("n-1");
        harness.Alerts.Notify(firing);
        harness.Alerts.Notify(firing); // the same notice again: nothing more
        harness.Alerts.Notify(ChannelHarness.Notice("n-2", NoticeKind.Resolved));

        var hooks = await webhook.WaitForAsync(2);
        await ChannelHarness.Eventually(() => slack.Bodies.Count == 2 && discord.Bodies.Count == 2 && smtp.Mails.Count == 2);
        await Task.Delay(200);
        hooks.Should().HaveCount(2, "each notice once, the repeated Notify added nothing");
        webhook.BadSignatures.Should().Be(0);
        webhook.LastSignature.Should().MatchRegex("^t=[0-9]+,v1=[0-9a-f]{64}$");
        webhook.ContentType.Should().Be("application/json; charset=utf-8");
        var json = hooks[0];
        json.EnumerateObject().Select(p => p.Name).Should().Equal(
            "id", "alertId", "kind", "rule", "subject", "app", "severity", "title", "detail", "startedAt", "resolvedAt", "at", "url");
        json.GetProperty("id").GetString().Should().Be("n-1");
        json.GetProperty("alertId").GetString().Should().Be("al-1");
        json.GetProperty("kind").GetString().Should().Be("firing");
        json.GetProperty("severity").GetString().Should().Be("critical");
        json.GetProperty("startedAt").GetString().Should().Be("2026-12-03T06:00:00.000Z");
        json.GetProperty("resolvedAt").ValueKind.Should().Be(JsonValueKind.Null);
        hooks[1].GetProperty("kind").GetString().Should().Be("resolved", "in the order they were queued");
        hooks[1].GetProperty("resolvedAt").GetString().Should().Be("2026-12-03T06:04:00.000Z");

        slack.Bodies[0].EnumerateObject().Select(p => p.Name).Should().Equal("text");
        slack.Bodies[0].GetProperty("text").GetString().Should().StartWith("*[FIRING] shop: uptime check failing*\nGET https://shop.example.com/healthz: 503");
        slack.Bodies[1].GetProperty("text").GetString().Should().StartWith("*[RESOLVED] shop: uptime check failing*").And.Contain("after 4m");

        var embed = discord.Bodies[0].GetProperty("embeds")[0];
        discord.Bodies[0].GetProperty("content").GetString().Should().Be("[FIRING] shop: uptime check failing");
        embed.GetProperty("title").GetString().Should().Be("shop: uptime check failing");
        embed.GetProperty("description").GetString().Should().Contain("Severity: critical");
        embed.GetProperty("url").GetString().Should().Be("https://shop.example.com/healthz");
        discord.Bodies[0].GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength().Should().Be(0);

        var mail = smtp.Mails[0];
        mail.From.Should().Be("slipway@paas.example.com");
        mail.To.Should().Equal("ops@example.com", "oncall@example.com");
        (mail.User, mail.Password).Should().Be(("alerts", "smtp-pass-4242"));
        mail.Header("Subject").Should().Be("[FIRING] shop: uptime check failing");
        mail.Header("Auto-Submitted").Should().Be("auto-generated");
        mail.Body.Should().Contain("GET https://shop.example.com/healthz: 503 twice in a row").And.Contain("rule: uptime");
        smtp.Mails[1].Header("Subject").Should().Be("[RESOLVED] shop: uptime check failing");

        var deliveries = harness.Alerts.Deliveries("al-1");
        deliveries.Should().HaveCount(8).And.OnlyContain(d => d.State == DeliveryState.Sent && d.Attempts == 1 && d.SentAt != null && d.Error == null);
        deliveries.Select(d => (d.NoticeId, d.Kind)).Distinct().Should().Equal(("n-1", NoticeKind.Firing), ("n-2", NoticeKind.Resolved));
        harness.View("hook").Delivered.Should().Be(2);
    }

    [Fact]
    public async Task Filters_choose_the_channels_and_a_named_channel_that_does_not_exist_is_recorded_as_failed()
    {
        await using var all = await AlertWebhookReceiver.StartAsync();
        await using var critical = await AlertWebhookReceiver.StartAsync();
        await using var billing = await AlertWebhookReceiver.StartAsync();
        await using var harness = await ChannelHarness.StartAsync();
        harness.Add("all", webhook: all.Url);
        harness.Add("pager", webhook: critical.Url, severity: "critical");
        harness.Add("billing", webhook: billing.Url, apps: ["billing"]);
        harness.Store.EnsureApp(AppRef.Of("billing", "staging"));

        harness.Alerts.Notify(ChannelHarness.Notice("w-1", severity: AlertSeverity.Warning, alertId: "a-shop"));
        harness.Alerts.Notify(ChannelHarness.Notice("c-1", app: "billing-staging", alertId: "a-billing"));
        harness.Alerts.Notify(ChannelHarness.Notice("p-1", app: null, alertId: "a-disk"));
        harness.Alerts.Notify(ChannelHarness.Notice("named", alertId: "a-named", channels: ["billing", "nowhere"]));

        await all.WaitForAsync(3);
        await billing.WaitForAsync(2);
        await critical.WaitForAsync(2);
        await Task.Delay(200);
        all.Bodies.Select(b => b.GetProperty("id").GetString()).Should().Equal("w-1", "c-1", "p-1");
        critical.Bodies.Select(b => b.GetProperty("id").GetString()).Should().Equal("c-1", "p-1");
        billing.Bodies.Select(b => b.GetProperty("id").GetString()).Should().Equal(["c-1", "named"], "every environment of billing; and named by the rule");
        var missing = harness.Alerts.Deliveries("a-named").Single(d => d.Channel == "nowhere");
        missing.State.Should().Be(DeliveryState.Failed);
        missing.Error.Should().Contain("there is no channel named nowhere");
    }

    [Fact]
    public async Task A_webhook_answering_500_then_200_is_retried_and_delivered_once()
    {
        await using var receiver = await AlertWebhookReceiver.StartAsync();
        receiver.Answer = n => n == 1 ? 500 : 200;
        await using var harness = await ChannelHarness.StartAsync();
        receiver.SigningSecret = harness.Add("hook", webhook: receiver.Url).SigningSecret;

        harness.Alerts.Notify(ChannelHarness.Notice("n-1"));
        await receiver.WaitForAsync(1);
        await ChannelHarness.Eventually(() => harness.View("hook").State == ChannelState.Up && harness.View("hook").Delivered == 1);

        receiver.Bodies.Should().ContainSingle();
        receiver.Requests.Should().Be(2);
        var delivery = harness.Alerts.Deliveries("al-1").Single();
        (delivery.State, delivery.Attempts).Should().Be((DeliveryState.Sent, 2));
        var events = harness.PlatformEvents();
        events.Should().Contain(e => e.Kind == "alert-channel.failing" && e.Message.Contains("the receiver answered 500"));
        events.Should().Contain(e => e.Kind == "alert-channel.recovered");
    }

    [Fact]
    public async Task A_channel_that_is_down_fails_its_deliveries_while_another_channel_delivers_at_once()
    {
        await using var receiver = await AlertWebhookReceiver.StartAsync();
        await using var harness = await ChannelHarness.StartAsync();
        harness.Add("good", webhook: receiver.Url);
        // Nothing listens there: every attempt is refused at once.
        harness.Add("down", slack: $"http://127.0.0.1:{Ports.Free()}/services/T0/B0/slack-token-987");

        var clock = Stopwatch.StartNew();
        harness.Alerts.Notify(ChannelHarness.Notice("n-1"));
        harness.Alerts.Notify(ChannelHarness.Notice("n-2", NoticeKind.Resolved));
        await receiver.WaitForAsync(2);
        receiver.Bodies.Should().HaveCount(2);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3), "the channel that is down holds up nothing of the other one");

        await ChannelHarness.Eventually(() => harness.View("down").Failed == 2);
        var down = harness.View("down");
        down.State.Should().Be(ChannelState.Failing);
        down.Failed.Should().Be(2);
        down.Pending.Should().Be(0);
        down.LastError.Should().Contain("Connection refused").And.NotContain("slack-token-987");
        down.Destination.Should().Be($"http://{new Uri(down.Destination).Authority}/***");
        var failed = harness.Alerts.Deliveries("al-1").Where(d => d.Channel == "down").ToList();
        failed.Should().HaveCount(2).And.OnlyContain(d => d.State == DeliveryState.Failed && d.Attempts == 3);
        harness.Store.ListEvents("shop").Should().Contain(e => e.Kind == "alert.delivery-failed" && e.Message.Contains("channel down"));
        harness.Log.Text.Should().Contain("was not delivered to channel down").And.NotContain("slack-token-987");
    }

    [Fact]
    public async Task Notices_over_the_rate_limit_are_suppressed_and_counted_in_one_summary_when_the_window_has_room()
    {
        await using var receiver = await AlertWebhookReceiver.StartAsync();
        var options = ChannelHarness.Fast();
        options.RateLimit = 2;
        options.RateWindow = TimeSpan.FromSeconds(2);
        await using var harness = await ChannelHarness.StartAsync(options);
        harness.Add("hook", webhook: receiver.Url);

        for (var i = 1; i <= 5; i++)
        {
            harness.Alerts.Notify(ChannelHarness.Notice($"n-{i}", alertId: $"a-{i}", title: $"alert {i}"));
        }
        await receiver.WaitForAsync(2);
        await Task.Delay(300);
        receiver.Bodies.Select(b => b.GetProperty("id").GetString()).Should().Equal("n-1", "n-2");
        harness.Alerts.Deliveries("a-3").Single().State.Should().Be(DeliveryState.Suppressed);
        harness.View("hook").Suppressed.Should().Be(3);

        // Over the limit still: the end of an alert the channel was told of goes out; one it was not told of does not.
        harness.Alerts.Notify(ChannelHarness.Notice("r-1", NoticeKind.Resolved, alertId: "a-1", title: "alert 1"));
        harness.Alerts.Notify(ChannelHarness.Notice("r-3", NoticeKind.Resolved, alertId: "a-3", title: "alert 3"));
        var bodies = await receiver.WaitForAsync(4, TimeSpan.FromSeconds(6));
        bodies.Should().HaveCount(4);
        bodies[2].GetProperty("id").GetString().Should().Be("r-1");
        var summary = bodies[3];
        summary.GetProperty("kind").GetString().Should().Be("suppressed");
        summary.GetProperty("suppressed").GetInt32().Should().Be(4);
        summary.GetProperty("title").GetString().Should().Be("4 alert notices were suppressed by the rate limit");
        summary.GetProperty("detail").GetString().Should().Contain("at most 2 notices per 2s").And.Contain("[FIRING] alert 3").And.Contain("[FIRING] alert 5");
        await Task.Delay(500);
        receiver.Bodies.Should().HaveCount(4, "one summary for the four");
    }

    [Fact]
    public async Task Email_that_the_server_refuses_for_now_is_retried_and_a_test_notice_goes_out_at_once()
    {
        await using var smtp = SmtpSink.Start();
        smtp.RejectData = "451 4.3.0 try again later";
        await using var harness = await ChannelHarness.StartAsync();
        harness.Add("mail", email: "ops@example.com", smtp: $"smtp://127.0.0.1:{smtp.Port}");
        harness.Alerts.Notify(ChannelHarness.Notice("n-1"));
        await ChannelHarness.Eventually(() => harness.View("mail").State == ChannelState.Failing);
        harness.View("mail").LastError.Should().Contain("451");
        smtp.RejectData = null;
        await smtp.WaitForAsync(1);
        await ChannelHarness.Eventually(() => harness.View("mail").State == ChannelState.Up);
        smtp.Mails.Should().ContainSingle();

        var test = await harness.Alerts.TestAsync("mail", CancellationToken.None);
        test.Delivered.Should().BeTrue(test.Error);
        (await smtp.WaitForAsync(2))[1].Header("Subject").Should().Be("[TEST] Test notice from Slipway on paas.example.com");
        harness.View("mail").Delivered.Should().Be(1, "a test is not a delivery");
    }

    [Fact]
    public void The_signature_of_a_webhook_body_verifies_with_the_channel_secret_only()
    {
        var body = ChannelBodies.Webhook(ChannelMessage.Of(ChannelHarness.Notice("n-1")));
        var now = DateTimeOffset.UtcNow;
        var header = MessageSigner.Sign("whsec_channel-secret", now, body);
        MessageSigner.Verify("whsec_channel-secret", header, body, now, TimeSpan.FromMinutes(5)).Should().BeTrue();
        MessageSigner.Verify("whsec_other", header, body, now, TimeSpan.FromMinutes(5)).Should().BeFalse();
    }
}
