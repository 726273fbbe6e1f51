using System.Text.Json;
using Slipway.Tests.Manifests;
using Slipway.Tests.Monitoring.Channels;
using Slipway.Tests.Monitoring.Uptime;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Alerts;

/// <summary>The whole chain on a real platform: an app stopped by its user is down on its default uptime check, the
/// engine raises the "uptime" alert, a signed webhook and an e-mail over SMTP (both receivers the test's own, on
/// loopback) each get the firing notice and, after `slipway start`, the resolved one, once each; the status page shows
/// the incident; a target that flaps on every check sends nothing.</summary>
[Collection("platform-solo")]
public sealed class AlertsEndToEndTests
{
    [Fact]
    public async Task A_stopped_app_sends_each_channel_one_firing_and_one_resolved_notice_and_a_flapping_target_sends_none()
    {
        await using var receiver = await AlertWebhookReceiver.StartAsync();
        await using var smtp = SmtpSink.Start();
        await using var target = await UptimeTarget.StartAsync();
        await using var platform = await TestPlatform.StartAsync(configure: o => o with
        {
            UptimeMinInterval = TimeSpan.FromMilliseconds(100),
            UptimeInterval = TimeSpan.FromMilliseconds(300),
            UptimeTick = TimeSpan.FromMilliseconds(25),
            UptimeReconcile = TimeSpan.FromMilliseconds(200),
            AlertInterval = TimeSpan.FromMilliseconds(200),
            AlertResolveAfter = TimeSpan.FromSeconds(1),
        });

        var hook = await platform.CliAsync("channels", "add", "hook", "--webhook", receiver.Url, "--json");
        hook.ExitCode.Should().Be(0, hook.ToString());
        receiver.SigningSecret = JsonDocument.Parse(hook.Out).RootElement.GetProperty("signingSecret").GetString();
        var mail = await platform.CliAsync("channels", "add", "mail", "--email", "ops@example.com", "--smtp", $"smtp://127.0.0.1:{smtp.Port}");
        mail.ExitCode.Should().Be(0, mail.ToString());
        // The check's timeout is its interval (1 s): long enough that a loaded machine does not turn an answer of the
        // flapping target into a timeout, and so two failures in a row, which would be a real incident (400 ms did once).
        (await platform.CliAsync("uptime", "add", target.Url("/flap"), "--name", "flappy", "--every", "1s")).ExitCode.Should().Be(0);

        using var source = new TempSource();
        source.Manifest("""{ "services": { "site": { "type": "static", "install": null, "build": null, "output": "." } } }""").File("index.html", "<h1>shop</h1>");
        (await platform.DeployAsync(source.Dir, "shop")).ExitCode.Should().Be(0);
        (await platform.CliAsync("alerts", "set", "error-rate", "--app", "shop", "--channels", "hook,nope")).Err
            .Should().Contain("--channels: no channel named nope");
        (await platform.CliAsync("status-page", "create", "acme", "--apps", "shop", "--host", "status.example.test")).ExitCode.Should().Be(0);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(await platform.CliAsync("uptime", "ls", "--app", "shop", "--json")).Out.Contains("\"state\": \"up\"", StringComparison.Ordinal))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the default check comes up within 15 s");
            await Task.Delay(100);
        }

        (await platform.CliAsync("stop", "--app", "shop")).ExitCode.Should().Be(0);
        await WaitForShopAsync(receiver, 1);
        var fired = Uptime(receiver.Bodies).Should().ContainSingle().Subject;
        fired.GetProperty("kind").GetString().Should().Be("firing");
        fired.GetProperty("severity").GetString().Should().Be("critical");
        fired.GetProperty("title").GetString().Should().Contain("shop: down");
        receiver.BadSignatures.Should().Be(0, "every delivery is signed with the channel's secret");
        var firstMail = (await smtp.WaitForAsync(1, TimeSpan.FromSeconds(20))).Single();
        firstMail.Header("Subject").Should().StartWith("[FIRING]").And.Contain("shop: down");
        firstMail.To.Should().Equal("ops@example.com");

        using (var client = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/");
            request.Headers.Host = "status.example.test";
            using var page = await client.SendAsync(request);
            (await page.Content.ReadAsStringAsync()).Should().Contain("Major outage").And.Contain("shop: down").And.Contain("HTTP 503");
        }

        (await platform.CliAsync("start", "--app", "shop")).ExitCode.Should().Be(0);
        await WaitForShopAsync(receiver, 2);
        (await smtp.WaitForAsync(2, TimeSpan.FromSeconds(20)))[1].Header("Subject").Should().StartWith("[RESOLVED]");
        await UptimeCheckerTests.WaitForAsync(() => target.Requests.Count(r => r.Path == "/flap") >= 8 ? "" : null, "eight checks of the flapping target");
        await Task.Delay(TimeSpan.FromSeconds(2)); // two rounds more: nothing new may arrive

        var notices = Uptime(receiver.Bodies);
        notices.Select(n => n.GetProperty("kind").GetString()).Should().Equal(["firing", "resolved"], "one notice each way, never repeated");
        notices.Select(n => n.GetProperty("alertId").GetString()).Distinct().Should().ContainSingle();
        smtp.Mails.Where(m => m.Header("Subject").Contains("shop: down", StringComparison.Ordinal)).Should().HaveCount(2);
        receiver.Bodies.Where(b => b.GetProperty("subject").GetString() == "check:flappy").Should().BeEmpty("up, down, up, down is no incident, so no notice");
        target.Requests.Where(r => r.Path == "/flap").Select(r => r.Status).Distinct().Should().BeEquivalentTo([200, 503]);

        var history = await platform.CliAsync("alerts", "history", "--app", "shop", "--json");
        var alert = JsonDocument.Parse(history.Out).RootElement.EnumerateArray().Single(a => a.GetProperty("rule").GetString() == "uptime");
        alert.GetProperty("state").GetString().Should().Be("resolved");
        alert.GetProperty("deliveries").EnumerateArray()
            .Select(d => $"{d.GetProperty("channel").GetString()} {d.GetProperty("kind").GetString()} {d.GetProperty("state").GetString()}")
            .Should().BeEquivalentTo("hook firing sent", "mail firing sent", "hook resolved sent", "mail resolved sent");
        (await platform.CliAsync("alerts", "history", "--app", "shop")).Out.Should().Contain("hook: firing sent, resolved sent");
    }

    private static async Task WaitForShopAsync(AlertWebhookReceiver receiver, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Uptime(receiver.Bodies).Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    private static List<JsonElement> Uptime(IReadOnlyList<JsonElement> bodies) =>
        bodies.Where(b => b.GetProperty("rule").GetString() == "uptime" && b.GetProperty("subject").GetString() == "check:shop").ToList();
}
