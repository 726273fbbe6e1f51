using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Git;
using Slipway.Tests.Builds;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

/// <summary>A pull request's life through GitHub's pull_request webhooks: opened makes the preview environment pr-N
/// (config from the 'preview' template, served at APP-pr-N.localhost), synchronize redeploys it with the new head,
/// closed removes it whole; a fork's pull request gets no preview.</summary>
[Collection("platform-3")]
public sealed class GitPreviewTests
{
    [Fact]
    public async Task A_pull_request_opened_updated_and_closed_makes_redeploys_and_removes_its_preview()
    {
        await using var forge = await FakeForge.StartAsync("preview-token");
        var work = GitRepo.Init(TempDirs.Create("preview-work"));
        GitPushTests.WriteApp(work, "main-1");
        work.Commit("Main");
        work.Git("push", "--quiet", forge.RepoDir, "main");
        work.Git("checkout", "--quiet", "-b", "feature");
        GitPushTests.WriteApp(work, "pr-a");
        // A yearly job: a preview must not run it on its schedule.
        work.Write("slipway.json", """
            { "services": { "web": { "start": "node server.js" } }, "crons": [ { "name": "invoices", "schedule": "0 3 1 1 *", "path": "/" } ] }
            """);
        var first = work.Commit("Feature, first try");
        GitPushTests.WriteApp(work, "pr-b");
        var second = work.Commit("Feature, second try");
        work.Git("push", "--quiet", forge.RepoDir, "feature");
        work.Git("push", "--quiet", forge.ForkDir, "feature");

        await using var platform = await TestPlatform.StartAsync();
        (await platform.CliAsync("git", "create", "shop")).ExitCode.Should().Be(0);
        var connect = await forge.ConnectAsync(platform, "shop", "preview-token");
        var secret = JsonDocument.Parse(connect.Out).RootElement.GetProperty("secret").GetString()!;
        var off = await DeliverAsync(platform, secret, PullRequest("opened", 7, first), "pr-0");
        off.Body.Should().Contain("Ignored: previews are off for shop; turn them on with: slipway git previews shop --on");
        (await platform.CliAsync("git", "previews", "shop", "--on", "--domain", "*.example.test")).Err.Should().Contain("the DNS record to make is *.shop.DOMAIN");
        var on = await platform.CliAsync("git", "previews", "shop", "--on", "--ttl", "3d", "--domain", "example.test");
        on.ExitCode.Should().Be(0, on.ToString());
        on.Out.Should().Contain("removed when closed or after 72h without a change").And.Contain("at https://pr-N.shop.example.test: point *.shop.example.test at this machine");
        var template = await platform.CliAsync("env", "set", "--app", "shop", "--env", "preview", "--create", "--no-deploy", "GREETING=hello-preview");
        template.ExitCode.Should().Be(0, template.ToString());
        (await platform.CliAsync("env", "set", "--app", "shop", "--env", "preview", "--no-deploy", "--secret", "API_KEY=sk-template")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "shop", "--shared", "--no-deploy", "--secret", "SHARED_KEY=sk-shared")).ExitCode.Should().Be(0);
        var previews = platform.Services.GetRequiredService<Previews>();
        var notices = platform.Services.GetRequiredService<ForgeNotices>();

        var opened = await DeliverAsync(platform, secret, PullRequest("opened", 7, first), "pr-1");
        opened.Status.Should().Be(HttpStatusCode.Accepted, opened.Body);
        opened.Body.Should().Contain($"Deploying #7's {first[..12]} to the preview shop (pr-7): http://shop-pr-7.localhost:{platform.EdgePort}");
        await SettledAsync(platform, previews);
        (await platform.VersionAsync("shop-pr-7")).Should().Be("pr-a");
        using (var page = await platform.GetAsync("shop-pr-7"))
        {
            page.Headers.GetValues("X-Greeting").Single().Should().Be("hello-preview", "a new preview's config starts as the template's");
            page.Headers.GetValues("X-Secrets").Single().Should().Be("sk-template,sk-shared", "a pull request of the repository itself gets the secrets");
        }
        var listed = JsonDocument.Parse((await platform.CliAsync("previews", "ls", "--app", "shop", "--json")).Out).RootElement.EnumerateArray().Single();
        listed.GetProperty("env").GetString().Should().Be("pr-7");
        listed.GetProperty("status").GetString().Should().Be("live");
        listed.GetProperty("urls")[0].GetString().Should().Be($"http://shop-pr-7.localhost:{platform.EdgePort}", "the address a browser opens, through the edge's port");
        (await platform.VersionAsync("shop")).Should().Be("status 404", "production is not touched by a pull request");
        // The forge shows it: the head's status goes pending then success, linking the preview's own hostname (now a
        // domain of pr-7, so it gets its certificate), and one comment is written, then edited in place.
        await notices.IdleAsync();
        var statuses = forge.Calls("POST", $"/repos/acme/shop/statuses/{first}");
        statuses.Select(s => (string?)s["state"]).Should().Equal("pending", "success");
        statuses.Should().OnlyContain(s => (string?)s["context"] == "slipway/pr-7");
        ((string?)statuses[^1]["target_url"]).Should().Be($"http://pr-7.shop.example.test:{platform.EdgePort}", "the edge serves no HTTPS here: the link it answers on");
        forge.Calls("POST", "/repos/acme/shop/issues/7/comments").Should().ContainSingle().Which["body"]!.ToString().Should().Contain("⏳ Deploying");
        var comment = forge.Calls("PATCH", "/repos/acme/shop/issues/comments/1001");
        comment.Should().NotBeEmpty("the comment is edited, not written again");
        comment[^1]["body"]!.ToString().Should().Contain("✅ Live").And.Contain($"[http://pr-7.shop.example.test:{platform.EdgePort}](http://pr-7.shop.example.test:{platform.EdgePort})").And.Contain(first[..12]);
        (await platform.CliAsync("domains", "ls")).Out.Should().Contain("pr-7.shop.example.test");
        var cron = JsonDocument.Parse((await platform.CliAsync("cron", "ls", "--app", "shop", "--env", "pr-7", "--json")).Out).RootElement.EnumerateArray().Single();
        cron.GetProperty("paused").GetString().Should().Be("crons are off in previews (slipway git previews shop --on --crons turns them on)");
        cron.GetProperty("nextRun").ValueKind.Should().Be(JsonValueKind.Null);
        (await platform.CliAsync("git", "previews", "shop", "--on", "--crons")).Out.Should().Contain("crons on");
        cron = JsonDocument.Parse((await platform.CliAsync("cron", "ls", "--app", "shop", "--env", "pr-7", "--json")).Out).RootElement.EnumerateArray().Single();
        cron.GetProperty("paused").ValueKind.Should().Be(JsonValueKind.Null);
        cron.GetProperty("nextRun").GetString().Should().Contain("-01-01T03:00", "the yearly job's next run, on whatever date the test runs");

        // The forge is down for the next update: the preview deploys anyway, and the forge hears of it once it is back.
        forge.ApiDown = 2;
        var updated = await DeliverAsync(platform, secret, PullRequest("synchronize", 7, second), "pr-2");
        updated.Status.Should().Be(HttpStatusCode.Accepted, updated.Body);
        await SettledAsync(platform, previews);
        (await platform.VersionAsync("shop-pr-7")).Should().Be("pr-b");
        await notices.IdleAsync();
        forge.ApiRefused.Should().Be(2);
        forge.Calls("POST", $"/repos/acme/shop/statuses/{second}").Select(s => (string?)s["state"]).Should().EndWith("success");
        forge.Calls("PATCH", "/repos/acme/shop/issues/comments/1001")[^1]["body"]!.ToString().Should().Contain("✅ Live").And.Contain(second[..12]);
        forge.Calls("POST", "/repos/acme/shop/issues/7/comments").Should().ContainSingle("still one comment per pull request");

        // A fork's pull request runs nothing until a deployer approves the commit they read; then no secrets, no token.
        var fork = await DeliverAsync(platform, secret, PullRequest("opened", 8, first, fromFork: true, cloneUrl: forge.ForkUrl), "pr-3");
        fork.Body.Should().Contain($"#8 comes from a fork: its preview waits for a deployer to read {first[..12]} and approve it: slipway previews approve 8 --app shop");
        (await platform.VersionAsync("shop-pr-8")).Should().Be("status 404");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().Contain("awaiting-approval");
        await notices.IdleAsync();
        forge.Calls("POST", "/repos/acme/shop/issues/8/comments").Single()["body"]!.ToString().Should().Contain($"`slipway previews approve 8 --app shop --sha {first[..12]}`");
        forge.Calls("POST", $"/repos/acme/shop/statuses/{first}").Last(s => (string?)s["context"] == "slipway/pr-8")["description"]!.ToString()
            .Should().Contain("approval");
        (await platform.CliAsync("previews", "approve", "8", "--app", "shop", "--sha", second[..12])).Err.Should().Contain($"#8's head is {first[..12]} now");
        var approve = await platform.CliAsync("previews", "approve", "8", "--app", "shop", "--sha", first[..12]);
        approve.ExitCode.Should().Be(0, approve.ToString());
        await SettledAsync(platform, previews);
        (await platform.VersionAsync("shop-pr-8")).Should().Be("pr-a");
        using (var page = await platform.GetAsync("shop-pr-8"))
        {
            page.Headers.GetValues("X-Greeting").Single().Should().Be("hello-preview");
            page.Headers.GetValues("X-Secrets").Single().Should().Be("none", "a fork's preview gets no secret, the template's and the shared ones alike");
        }
        forge.Authorizations.Should().NotContain(a => a.StartsWith("to the fork", StringComparison.Ordinal), "the app's token never goes to a fork");
        (await DeliverAsync(platform, secret, PullRequest("synchronize", 8, second, fromFork: true, cloneUrl: forge.ForkUrl, updatedAt: "2026-01-02T00:00:00Z"), "pr-5")).Body
            .Should().Contain("waits for a deployer", "a fork's every new commit needs its own approval");
        // A close from before that update (closed and reopened; the close delivered last) leaves the preview.
        (await DeliverAsync(platform, secret, PullRequest("closed", 8, second, fromFork: true, cloneUrl: forge.ForkUrl, updatedAt: "2026-01-01T00:00:00Z"), "pr-8")).Body
            .Should().Contain("Ignored: this close of #8").And.Contain("delivered late; the preview stays");
        (await platform.VersionAsync("shop-pr-8")).Should().Be("pr-a", "the approved commit keeps serving meanwhile");

        // Work that fails after the answer marks its delivery failed, so the forge's redelivery is acted on again; work
        // that ends well marks it done.
        var squat = await platform.CliAsync("hosts", "add", "--app", "shop", "--env", "preview", "shop-pr-9.localhost");
        squat.ExitCode.Should().Be(0, squat.ToString());
        (await DeliverAsync(platform, secret, PullRequest("opened", 9, first), "pr-9")).Body.Should().Contain("Deploying #9's");
        await SettledAsync(platform, previews);
        var failed = await DeliveryAsync(platform, "pr-9");
        failed.Outcome.Should().Be("failed");
        failed.Detail.Should().Contain("shop-pr-9.localhost is already a hostname of app shop (preview)");
        (await DeliveryAsync(platform, "pr-1")).Outcome.Should().Be("done");
        (await platform.CliAsync("hosts", "rm", "--app", "shop", "--env", "preview", "shop-pr-9.localhost")).ExitCode.Should().Be(0);
        (await DeliverAsync(platform, secret, PullRequest("opened", 9, first), "pr-9")).Body.Should().Contain("Deploying #9's", "a failed delivery is acted on again");
        await SettledAsync(platform, previews);
        (await platform.VersionAsync("shop-pr-9")).Should().Be("pr-a");
        (await DeliverAsync(platform, secret, PullRequest("opened", 9, first), "pr-9")).Body.Should().Contain("was handled already", "a done one is not");
        (await DeliverAsync(platform, secret, PullRequest("closed", 9, first), "pr-9c")).Body.Should().Contain("Removing the preview shop (pr-9)");

        // A pull request with no preview yet is closed and reopened in one second (a bot re-running CI); the reopen is
        // delivered first: the close, delivered late, leaves the reopened preview.
        (await DeliverAsync(platform, secret, PullRequest("reopened", 10, first, updatedAt: "2026-01-03T00:00:00Z"), "pr-10")).Body
            .Should().Contain("Deploying #10's");
        (await DeliverAsync(platform, secret, PullRequest("closed", 10, first, updatedAt: "2026-01-03T00:00:00Z"), "pr-10c")).Body
            .Should().Contain("Ignored: this close of #10").And.Contain("delivered late; the preview stays");
        (await DeliverAsync(platform, secret, PullRequest("synchronize", 10, second, updatedAt: "2026-01-02T23:59:00Z"), "pr-10s")).Body
            .Should().Contain("Ignored: this update of #10").And.Contain("is older than one already taken", "an older head must not replace the newer one");
        await SettledAsync(platform, previews);
        (await platform.VersionAsync("shop-pr-10")).Should().Be("pr-a");
        (await DeliverAsync(platform, secret, PullRequest("closed", 10, first, updatedAt: "2026-01-03T00:00:01Z"), "pr-10d")).Body
            .Should().Contain("Removing the preview shop (pr-10)", "a newer close is taken");

        var elsewhere = await platform.CliWithInputAsync("t\n", "git", "connect", "shop", "--forge", "github", "--repo", "https://github.com/acme/other.git",
            "--token-stdin");
        elsewhere.ExitCode.Should().Be(1);
        elsewhere.Err.Should().Contain("remove them before connecting another repository").And.Contain("slipway previews rm 8 --app shop");

        var closed = await DeliverAsync(platform, secret, PullRequest("closed", 7, second, merged: true), "pr-4");
        closed.Body.Should().Contain("Removing the preview shop (pr-7): #7 was merged");
        await previews.IdleAsync();
        (await platform.VersionAsync("shop-pr-7")).Should().Be("status 404");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().NotContain("pr-7");
        var late = await DeliverAsync(platform, secret, PullRequest("synchronize", 7, second), "pr-6");
        late.Body.Should().Contain("Ignored: #7 was closed", "an update delivered after the close makes no preview again");
        var lateOpening = await DeliverAsync(platform, secret, PullRequest("opened", 7, first, updatedAt: "2019-05-15T15:00:00Z"), "pr-7");
        lateOpening.Body.Should().Contain("came before that", "an opening older than the close (by the forge's time) is late too");
        await previews.IdleAsync();
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().NotContain("pr-7");
        await notices.IdleAsync();
        forge.Calls("PATCH", "/repos/acme/shop/issues/comments/1001")[^1]["body"]!.ToString().Should().Contain("Removed: the pull request was merged", string.Join("\n", forge.ApiCalls.Select(c => c.Method + " " + c.Path + " " + c.Body[..Math.Min(80, c.Body.Length)])));
        (await platform.CliAsync("domains", "ls")).Out.Should().NotContain("pr-7.shop.example.test", "its domain went with the preview");
        (await platform.CliAsync("previews", "rm", "8", "--app", "shop")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("shop-pr-8")).Should().Be("status 404");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().Contain("No previews");
        (await platform.CliAsync("env", "ls", "--app", "shop", "--env", "pr-7")).Out.Should().NotContain("GREETING", "the preview's config went with it");
    }

    /// <summary>The newest record of delivery <paramref name="id"/>: its outcome and detail.</summary>
    private static async Task<(string Outcome, string? Detail)> DeliveryAsync(TestPlatform platform, string id)
    {
        var record = JsonDocument.Parse((await platform.CliAsync("git", "deliveries", "shop", "--json")).Out).RootElement.EnumerateArray()
            .First(d => d.GetProperty("delivery").GetString() == id);
        return (record.GetProperty("outcome").GetString()!, record.GetProperty("detail").GetString());
    }

    /// <summary>Waits for the preview work and for every deployment it started.</summary>
    internal static async Task SettledAsync(TestPlatform platform, Previews previews, string app = "shop")
    {
        await previews.IdleAsync();
        foreach (var deployment in JsonDocument.Parse((await platform.CliAsync("previews", "ls", "--app", app, "--json")).Out).RootElement.EnumerateArray())
        {
            if (deployment.GetProperty("deploymentId").GetString() is { } id)
            {
                await platform.Engine.WaitAsync(id);
            }
        }
    }

    /// <summary>GitHub's documented pull_request payload (trimmed), for pull request <paramref name="number"/> at <paramref name="sha"/>.</summary>
    internal static byte[] PullRequest(string action, int number, string sha, bool fromFork = false, bool merged = false, string? cloneUrl = null,
        string? updatedAt = null)
    {
        var file = fromFork ? "github-pull-request-fork.json" : "github-pull-request-opened.json";
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Git", "Forges", "Payloads", file)))!.AsObject();
        json["action"] = action;
        json["number"] = number;
        var pull = json["pull_request"]!.AsObject();
        pull["number"] = number;
        pull["merged"] = merged;
        pull["head"]!["sha"] = sha;
        pull["head"]!["ref"] = "feature";
        if (updatedAt is not null)
        {
            pull["updated_at"] = updatedAt;
        }
        if (cloneUrl is not null)
        {
            pull["head"]!["repo"]!["clone_url"] = cloneUrl;
        }
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    internal static async Task<(HttpStatusCode Status, string Body)> DeliverAsync(TestPlatform platform, string secret, byte[] body, string delivery, string app = "shop")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{platform.EdgePort}/hooks/github/{app}") { Content = new ByteArrayContent(body) };
        request.Headers.Host = "slipway.localhost";
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", "pull_request");
        request.Headers.Add("X-GitHub-Delivery", delivery);
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
        using var response = await platform.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
