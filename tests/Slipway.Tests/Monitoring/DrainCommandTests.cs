using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Monitoring;
using Slipway.Runtime;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring;

/// <summary>`slipway drains` through a real platform: the CLI over the API socket, a token over its TCP port, a real
/// receiver on loopback. Secrets never come back out, and a drain that fails is seen failing, then up.</summary>
[Collection("platform-2")]
public sealed class DrainCommandTests
{
    private const string Url = "https://ingest:pa55w0rd-xyz@logs.example.invalid/v1/tok-123456?key=qq-987654";
    private static readonly string[] Secrets = ["pa55w0rd-xyz", "tok-123456", "qq-987654", "hdr-secret-555"];

    [Fact]
    public async Task Drains_are_added_listed_and_removed_with_their_secrets_sealed_and_masked_and_only_by_an_admin()
    {
        var (started, port) = await TestPlatform.StartWithApiPortAsync();
        await using var platform = started;
        platform.Services.GetRequiredService<Store>().EnsureApp(AppRef.Of("shop"));

        var plain = await platform.CliAsync("drains", "add", "ext", "--app", "shop", "--url", "http://logs.example.com/in");
        plain.ExitCode.Should().Be(1);
        plain.Err.Should().Contain("must use https://").And.Contain("127.0.0.1 or localhost");
        (await platform.CliAsync("drains", "add", "ext", "--url", "https://logs.example.com/in")).Err.Should().Contain("Give --app APP [--env ENV] for an app's, or --platform");
        (await platform.CliAsync("drains", "ls")).Out.Should().Contain("No drains. Ship an app's logs: slipway drains add");

        var added = await platform.CliAsync("drains", "add", "ext", "--app", "shop", "--url", Url, "--header", "Authorization: Bearer hdr-secret-555", "--access");
        added.ExitCode.Should().Be(0, added.ToString());
        added.Out.Should().Contain("Drain ext ships the logs of shop and its access log to https://***@logs.example.invalid/*** from now on.");
        var again = await platform.CliAsync("drains", "add", "ext", "--app", "shop", "--syslog", "tls://logs.example.invalid:6514");
        again.Err.Should().Contain("shop already has a drain named ext").And.Contain("slipway drains rm ext --app shop");

        var listed = await platform.CliAsync("drains", "ls");
        listed.Out.Should().Contain("ext").And.Contain("logs+access").And.Contain("https://***@logs.example.invalid/*** [Authorization: ***]").And.Contain("up");
        var json = JsonDocument.Parse((await platform.CliAsync("drains", "ls", "--app", "shop", "--json")).Out).RootElement.EnumerateArray().Single();
        json.GetProperty("destination").GetString().Should().Be("https://***@logs.example.invalid/***");
        json.GetProperty("kind").GetString().Should().Be("https");
        json.GetProperty("state").GetString().Should().Be("up");
        foreach (var text in new[] { added.ToString(), listed.ToString(), json.ToString(), AtRest(platform.DataDir) })
        {
            text.Should().NotContainAny(Secrets);
        }

        // A viewer of shop reads the drains (masked) but cannot add one: a drain sends the app's logs elsewhere.
        var viewer = JsonDocument.Parse((await platform.CliAsync("tokens", "create", "--name", "v", "--app", "shop", "--role", "viewer", "--json")).Out)
            .RootElement.GetProperty("token").GetString();
        using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") })
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", viewer);
            using var add = await http.PostAsJsonAsync("v1/apps/shop/drains", new { name = "mine", url = "https://evil.example.com/" });
            add.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            (await add.Content.ReadAsStringAsync()).Should().Contain("drains.add needs admin of shop");
            using var everyApp = await http.PostAsJsonAsync("v1/drains", new { name = "all", url = "https://evil.example.com/" });
            everyApp.StatusCode.Should().Be(HttpStatusCode.Forbidden);
            var seen = await http.GetStringAsync("v1/drains");
            seen.Should().Contain("\"name\":\"ext\"").And.NotContainAny(Secrets);
        }

        // Key rotation re-seals the drain; its sender still opens it.
        (await platform.CliAsync("keys", "rotate")).ExitCode.Should().Be(0);
        var drainStore = platform.Services.GetRequiredService<DrainStore>();
        drainStore.Unseal(drainStore.Find("shop", "ext")!).Url.OriginalString.Should().Be(Url);

        var removed = await platform.CliAsync("drains", "rm", "ext", "--app", "shop");
        removed.Out.Should().Contain("Removed drain ext: the logs of shop no longer go to https://***@logs.example.invalid/***.");
        (await platform.CliAsync("drains", "rm", "ext", "--app", "shop")).Err.Should().Contain("shop has no drain named ext");

        // Destroying the app takes its drains with it.
        (await platform.CliAsync("drains", "add", "keep", "--app", "shop", "--syslog", "tcp://127.0.0.1:9")).ExitCode.Should().Be(0);
        var destroyed = await platform.CliAsync("destroy", "--app", "shop", "--yes");
        destroyed.ExitCode.Should().Be(0, destroyed.ToString());
        drainStore.List().Should().BeEmpty();
    }

    [Fact]
    public async Task A_drain_whose_receiver_answers_503_for_a_while_is_failing_then_up_and_loses_no_line()
    {
        await using var receiver = await HttpDrainReceiver.StartAsync();
        var recovered = false;
        receiver.Answer = request => Volatile.Read(ref recovered) ? 200 : 503; // failing until the test has seen it failing
        await using var platform = await TestPlatform.StartAsync();
        var store = platform.Services.GetRequiredService<Store>();
        store.EnsureApp(AppRef.Of("shop"));
        (await platform.CliAsync("drains", "add", "local", "--app", "shop", "--url", receiver.Url)).ExitCode.Should().Be(0);

        var logs = platform.Services.GetRequiredService<LogStore>();
        for (var i = 0; i < 3_000; i++)
        {
            logs.Append(LogKeys.App("shop"), new LogEntry(DateTimeOffset.UtcNow, "out", DrainHarness.Line(i), "d-1", "web", "i-web0"));
        }

        var failing = await StateAsync(platform, "failing");
        failing.GetProperty("lastError").GetString().Should().Be("the receiver answered 503 Service Unavailable");
        (await platform.CliAsync("drains", "ls", "--app", "shop")).Err.Should().Contain("warning: drain local is failing since");
        Volatile.Write(ref recovered, true);
        var up = await StateAsync(platform, "up");
        await receiver.WaitForAsync(3_000, TimeSpan.FromSeconds(20));
        receiver.Messages.Should().Equal(Enumerable.Range(0, 3_000).Select(DrainHarness.Line), "the batch the receiver refused was sent again, then the rest, in order");
        receiver.Requests.Should().BeGreaterThan(3);
        up.GetProperty("dropped").GetInt64().Should().Be(0);
        var events = store.ListEvents("shop").Select(e => (e.Kind, e.Message)).ToList();
        events.Should().Contain(e => e.Kind == "drain.failing" && e.Message.Contains("log drain local to http://127.0.0.1:") && e.Message.Contains("503"));
        events.Should().Contain(e => e.Kind == "drain.recovered");
    }

    private static async Task<JsonElement> StateAsync(TestPlatform platform, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var listed = await platform.CliAsync("drains", "ls", "--app", "shop", "--json");
            var drain = JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().Single();
            if (drain.GetProperty("state").GetString() == state || DateTime.UtcNow > deadline)
            {
                drain.GetProperty("state").GetString().Should().Be(state);
                return drain;
            }
            await Task.Delay(25);
        }
    }

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
