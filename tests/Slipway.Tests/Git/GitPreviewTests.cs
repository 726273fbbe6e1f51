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
[Collection("platform")]
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
        var on = await platform.CliAsync("git", "previews", "shop", "--on", "--ttl", "3d");
        on.ExitCode.Should().Be(0, on.ToString());
        on.Out.Should().Contain("removed when closed or after 72h without a change");
        var template = await platform.CliAsync("env", "set", "--app", "shop", "--env", "preview", "--create", "--no-deploy", "GREETING=hello-preview");
        template.ExitCode.Should().Be(0, template.ToString());
        (await platform.CliAsync("env", "set", "--app", "shop", "--env", "preview", "--no-deploy", "--secret", "API_KEY=sk-template")).ExitCode.Should().Be(0);
        (await platform.CliAsync("env", "set", "--app", "shop", "--shared", "--no-deploy", "--secret", "SHARED_KEY=sk-shared")).ExitCode.Should().Be(0);
        var previews = platform.Services.GetRequiredService<Previews>();

        var opened = await DeliverAsync(platform, secret, PullRequest("opened", 7, first), "pr-1");
        opened.Status.Should().Be(HttpStatusCode.Accepted, opened.Body);
        opened.Body.Should().Contain($"Deploying #7's {first[..12]} to the preview shop (pr-7): http://shop-pr-7.localhost");
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
        listed.GetProperty("urls")[0].GetString().Should().Be("http://shop-pr-7.localhost");
        (await platform.VersionAsync("shop")).Should().Be("status 404", "production is not touched by a pull request");

        var updated = await DeliverAsync(platform, secret, PullRequest("synchronize", 7, second), "pr-2");
        updated.Status.Should().Be(HttpStatusCode.Accepted, updated.Body);
        await SettledAsync(platform, previews);
        (await platform.VersionAsync("shop-pr-7")).Should().Be("pr-b");

        // A fork's pull request runs nothing until a deployer approves the commit they read; then no secrets, no token.
        var fork = await DeliverAsync(platform, secret, PullRequest("opened", 8, first, fromFork: true, cloneUrl: forge.ForkUrl), "pr-3");
        fork.Body.Should().Contain($"#8 comes from a fork: its preview waits for a deployer to read {first[..12]} and approve it: slipway previews approve 8 --app shop");
        (await platform.VersionAsync("shop-pr-8")).Should().Be("status 404");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().Contain("awaiting-approval");
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
        (await DeliverAsync(platform, secret, PullRequest("synchronize", 8, second, fromFork: true, cloneUrl: forge.ForkUrl), "pr-5")).Body
            .Should().Contain("waits for a deployer", "a fork's every new commit needs its own approval");
        (await platform.VersionAsync("shop-pr-8")).Should().Be("pr-a", "the approved commit keeps serving meanwhile");

        var closed = await DeliverAsync(platform, secret, PullRequest("closed", 7, second, merged: true), "pr-4");
        closed.Body.Should().Contain("Removing the preview shop (pr-7): #7 was merged");
        await previews.IdleAsync();
        (await platform.VersionAsync("shop-pr-7")).Should().Be("status 404");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().NotContain("pr-7");
        (await platform.CliAsync("previews", "rm", "8", "--app", "shop")).ExitCode.Should().Be(0);
        (await platform.VersionAsync("shop-pr-8")).Should().Be("status 404");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().Contain("No previews");
        (await platform.CliAsync("env", "ls", "--app", "shop", "--env", "pr-7")).Out.Should().NotContain("GREETING", "the preview's config went with it");
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
    internal static byte[] PullRequest(string action, int number, string sha, bool fromFork = false, bool merged = false, string? cloneUrl = null)
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
