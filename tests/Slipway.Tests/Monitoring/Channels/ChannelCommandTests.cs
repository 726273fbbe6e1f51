using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Channels;

/// <summary>`slipway channels` and `slipway alerts test` through a real platform: the CLI over the API socket, tokens
/// over its TCP port, a real receiver and SMTP sink on loopback. Secrets never come back out, only a platform-wide
/// admin adds a channel, and a delivery pending at a stop goes out after the restart.</summary>
[Collection("platform-2")]
public sealed class ChannelCommandTests
{
    // Nothing listens there: a test through it fails at once.
    private static readonly int ClosedPort = Ports.Free();
    private static readonly string SlackUrl = $"https://127.0.0.1:{ClosedPort}/services/T0/B0/slack-secret-123";
    private const string MailPassword = "mail-pass-999";

    [Fact]
    public async Task Channels_are_added_tested_listed_and_removed_with_their_secrets_sealed_and_masked_and_only_by_a_platform_admin()
    {
        await using var receiver = await AlertWebhookReceiver.StartAsync();
        await using var smtp = SmtpSink.Start(requireAuth: true);
        var (started, port) = await TestPlatform.StartWithApiPortAsync();
        await using var platform = started;
        platform.Services.GetRequiredService<Store>().EnsureApp(AppRef.Of("shop"));

        var bad = await platform.CliAsync("channels", "add", "ops", "--email", "nope", "--smtp", "smtp://127.0.0.1:25", "--severity", "high");
        bad.ExitCode.Should().Be(1);
        bad.Err.Should().Contain("--email: 'nope' is not an e-mail address").And.Contain("--severity: expected warning");
        (await platform.CliAsync("channels", "add", "ops", "--webhook", receiver.Url, "--slack", SlackUrl)).Err.Should().Contain("not --webhook and --slack");
        (await platform.CliAsync("channels", "ls")).Out.Should().Contain("No alert channels. Add one: slipway channels add NAME --webhook URL");

        var added = await platform.CliAsync("channels", "add", "hook", "--webhook", receiver.Url, "--json");
        added.ExitCode.Should().Be(0, added.ToString());
        var secret = JsonDocument.Parse(added.Out).RootElement.GetProperty("signingSecret").GetString()!;
        receiver.SigningSecret = secret;
        var chat = await platform.CliAsync("channels", "add", "chat", "--slack", SlackUrl, "--severity", "critical", "--apps", "shop,billing");
        chat.Out.Should().Contain($"Channel chat sends critical alerts of shop, billing to slack https://127.0.0.1:{ClosedPort}/***.")
            .And.NotContain("Signing secret");
        var mail = await platform.CliWithInputAsync(MailPassword + "\n", "channels", "add", "mail", "--email", "ops@example.com", "--smtp",
            $"smtp://alerts@127.0.0.1:{smtp.Port}", "--smtp-password-stdin", "--from", "alerts@example.com");
        mail.ExitCode.Should().Be(0, mail.ToString());
        (await platform.CliAsync("channels", "add", "hook", "--discord", "https://discord.com/api/webhooks/1/x")).Err
            .Should().Contain("There is already a channel named hook").And.Contain("slipway channels rm hook");

        var tested = await platform.CliAsync("alerts", "test", "hook");
        tested.ExitCode.Should().Be(0, tested.ToString());
        tested.Out.Should().MatchRegex(@"^delivered to hook \(webhook http://127\.0\.0\.1:[0-9]+/\*\*\*\) in [0-9]+ ms");
        var test = (await receiver.WaitForAsync(1)).Single();
        test.GetProperty("kind").GetString().Should().Be("test");
        receiver.BadSignatures.Should().Be(0);
        (await platform.CliAsync("alerts", "test", "mail")).ExitCode.Should().Be(0);
        (await smtp.WaitForAsync(1)).Single().Password.Should().Be(MailPassword);
        var down = await platform.CliAsync("alerts", "test", "chat");
        down.ExitCode.Should().Be(1);
        down.Err.Should().Contain($"error: not delivered to chat (slack https://127.0.0.1:{ClosedPort}/***):").And.NotContain("slack-secret-123");

        var listed = await platform.CliAsync("channels", "ls");
        listed.Out.Should().Contain("hook").And.Contain("every alert of every app and the platform")
            .And.Contain("ops@example.com via smtp://***@127.0.0.1:").And.Contain("up");
        var json = (await platform.CliAsync("channels", "ls", "--json")).Out;
        var chatJson = JsonDocument.Parse(json).RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "chat");
        chatJson.GetProperty("kind").GetString().Should().Be("slack");
        chatJson.GetProperty("severity").GetString().Should().Be("critical");
        var secrets = new[] { secret, "slack-secret-123", MailPassword, "tok-abcdef123456" };
        foreach (var text in new[] { added.Out.Replace(secret, "", StringComparison.Ordinal), chat.ToString(), mail.ToString(), listed.ToString(), json, AtRest(platform.DataDir) })
        {
            text.Should().NotContainAny(secrets);
        }

        // Channels are platform-wide: a deployer of the platform or an admin of one app cannot add one; a viewer lists them.
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") })
        {
            foreach (var args in new[] { new[] { "--role", "deployer" }, ["--app", "shop", "--role", "admin"] })
            {
                http.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(platform, args));
                using var add = await http.PostAsJsonAsync("v1/alerts/channels", new { name = "mine", webhook = "https://evil.example.com/x" });
                add.StatusCode.Should().Be(HttpStatusCode.Forbidden);
                (await add.Content.ReadAsStringAsync()).Should().Contain("channels.add needs admin on the whole platform");
                using var remove = await http.DeleteAsync("v1/alerts/channels/hook");
                remove.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            }
            http.DefaultRequestHeaders.Authorization = new("Bearer", await TokenAsync(platform, "--role", "viewer"));
            var seen = await http.GetStringAsync("v1/alerts/channels");
            seen.Should().Contain("\"name\":\"hook\"").And.NotContainAny(secrets);
            using var testByViewer = await http.PostAsync("v1/alerts/channels/hook/test", null);
            testByViewer.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        // Key rotation re-seals the channels; their secrets still open.
        (await platform.CliAsync("keys", "rotate")).ExitCode.Should().Be(0);
        var store = platform.Services.GetRequiredService<ChannelStore>();
        store.Unseal(store.Find("mail")!).SmtpPassword.Should().Be(MailPassword);
        store.Unseal(store.Find("hook")!).SigningSecret.Should().Be(secret);

        (await platform.CliAsync("channels", "rm", "hook")).Out.Should().Contain("Removed channel hook: alerts no longer go to http://127.0.0.1:");
        (await platform.CliAsync("channels", "rm", "hook")).Err.Should().Contain("There is no alert channel named hook; there are: chat, mail.");
        (await platform.CliAsync("alerts", "test", "hook")).Err.Should().Contain("There is no alert channel named hook");
    }

    [Fact]
    public async Task A_delivery_pending_when_the_platform_stops_is_sent_after_it_starts_again()
    {
        await using var receiver = await AlertWebhookReceiver.StartAsync();
        var up = false;
        receiver.Answer = _ => Volatile.Read(ref up) ? 200 : 503;
        var first = await TestPlatform.StartAsync();
        var dataDir = first.DataDir;
        try
        {
            (await first.CliAsync("channels", "add", "hook", "--webhook", receiver.Url)).ExitCode.Should().Be(0);
            first.Services.GetRequiredService<IAlertNotifier>().Notify(ChannelHarness.Notice("n-restart", alertId: "a-restart"));
            var store = first.Services.GetRequiredService<ChannelStore>();
            await ChannelHarness.Eventually(() => store.Find("hook")!.State == "failing");
            store.Find("hook")!.LastError.Should().Be("the receiver answered 503 Service Unavailable");
            first.KeepData = true;
        }
        finally
        {
            await first.DisposeAsync();
        }

        Volatile.Write(ref up, true);
        await using var second = await TestPlatform.StartAsync(dataDir: dataDir);
        var bodies = await receiver.WaitForAsync(1);
        bodies.Should().ContainSingle().Which.GetProperty("id").GetString().Should().Be("n-restart");
        var channels = second.Services.GetRequiredService<AlertChannels>();
        await ChannelHarness.Eventually(() => channels.Deliveries("a-restart").Single().State == DeliveryState.Sent);
        channels.Deliveries("a-restart").Single().Attempts.Should().BeGreaterThanOrEqualTo(2);
        var listed = JsonDocument.Parse((await second.CliAsync("channels", "ls", "--json")).Out).RootElement[0];
        listed.GetProperty("state").GetString().Should().Be("up");
        listed.GetProperty("delivered").GetInt64().Should().Be(1);
    }

    private static async Task<string> TokenAsync(TestPlatform platform, params string[] args) =>
        JsonDocument.Parse((await platform.CliAsync(["tokens", "create", "--name", "t" + Guid.NewGuid().ToString("N")[..6], .. args, "--json"])).Out)
            .RootElement.GetProperty("token").GetString()!;

    /// <summary>Everything the platform keeps in its database files, as text.</summary>
    private static string AtRest(string dataDir) =>
        string.Concat(Directory.GetFiles(dataDir, "slipway.db*").Select(file =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return Encoding.Latin1.GetString(memory.ToArray());
        }));
}
