using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

/// <summary>Every example in the repository deploys and answers as its README says.</summary>
[Collection("platform")]
public sealed class ExampleAppsTests
{
    [Fact]
    public async Task The_static_spa_serves_client_routes_from_index_html_and_a_real_404_for_missing_assets()
    {
        await using var platform = await TestPlatform.StartAsync();
        var result = await platform.DeployAsync(TestApps.Copy("static-spa"), "spa");
        result.ExitCode.Should().Be(0, result.ToString());

        using var home = await platform.GetAsync("spa", "/");
        home.StatusCode.Should().Be(HttpStatusCode.OK);
        home.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        var html = await home.Content.ReadAsStringAsync();
        using var clientRoute = await platform.GetAsync("spa", "/users/42");
        clientRoute.StatusCode.Should().Be(HttpStatusCode.OK);
        (await clientRoute.Content.ReadAsStringAsync()).Should().Be(html);

        var asset = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        asset.Should().NotBeEmpty();
        using var js = await platform.GetAsync("spa", asset);
        js.StatusCode.Should().Be(HttpStatusCode.OK);
        js.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        using var missing = await platform.GetAsync("spa", "/assets/missing-123.js");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_fullstack_monorepo_routes_api_and_spa_under_one_host_and_runs_its_worker()
    {
        await using var platform = await TestPlatform.StartAsync();
        var result = await platform.DeployAsync(TestApps.Copy("fullstack"), "full");
        result.ExitCode.Should().Be(0, result.ToString());

        using var health = await platform.GetAsync("full", "/api/health");
        health.StatusCode.Should().Be(HttpStatusCode.OK);
        using var post = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{platform.EdgePort}/api/messages")
        {
            Content = JsonContent.Create(new { text = "hello from the test" }),
        };
        post.Headers.Host = "full.localhost";
        using var posted = await platform.Http.SendAsync(post);
        posted.IsSuccessStatusCode.Should().BeTrue(await posted.Content.ReadAsStringAsync());
        using var list = await platform.GetAsync("full", "/api/messages");
        (await list.Content.ReadAsStringAsync()).Should().Contain("hello from the test");

        using var page = await platform.GetAsync("full", "/about");
        page.StatusCode.Should().Be(HttpStatusCode.OK);
        (await page.Content.ReadAsStringAsync()).Should().Contain("<main id=\"app\"", "the SPA's index.html answers client routes");

        // The worker has no port; its heartbeat shows in the app's logs.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string logs;
        do
        {
            await Task.Delay(500);
            logs = (await platform.CliAsync("logs", "--app", "full", "--service", "worker")).Out;
        }
        while (!logs.Contains("worker: processed") && DateTime.UtcNow < deadline);
        logs.Should().Contain("worker: processed");
        logs.Should().NotContain("/api/", "--service filters other services' lines out");
    }

    [Fact]
    public async Task The_dotnet_api_is_built_with_dotnet_publish_and_serves()
    {
        await using var platform = await TestPlatform.StartAsync();
        var result = await platform.DeployAsync(TestApps.Copy("dotnet-api", "7"), "dotnet");
        result.ExitCode.Should().Be(0, result.ToString());
        (await platform.VersionAsync("dotnet")).Should().Be("7");
    }

    [Fact]
    public async Task A_git_source_deploys_the_requested_ref_and_records_its_commit()
    {
        await using var platform = await TestPlatform.StartAsync();
        var repo = TestApps.Copy("node-api", "1");
        await Git(repo, "init", "-q", "-b", "main");
        await Git(repo, "add", "-A");
        await Git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1");
        await Git(repo, "tag", "v1");
        File.WriteAllText(Path.Combine(repo, "VERSION"), "2\n");
        await Git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "v2");

        var v1 = await platform.DeployAsync("file://" + repo, "gitapp", "--ref", "v1");
        v1.ExitCode.Should().Be(0, v1.ToString());
        (await platform.VersionAsync("gitapp")).Should().Be("1");
        var main = await platform.DeployAsync("file://" + repo, "gitapp", "--ref", "main");
        main.ExitCode.Should().Be(0, main.ToString());
        (await platform.VersionAsync("gitapp")).Should().Be("2");

        var history = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "gitapp", "--json")).Out).RootElement;
        history[0].GetProperty("commit").GetString().Should().NotBeNullOrEmpty();
        history[0].GetProperty("commit").GetString().Should().NotBe(history[1].GetProperty("commit").GetString());

        var missing = await platform.DeployAsync("file://" + repo, "gitapp", "--ref", "no-such-branch");
        missing.ExitCode.Should().Be(1);
        missing.Err.Should().Contain("no-such-branch");
        (await platform.VersionAsync("gitapp")).Should().Be("2");
    }

    private static async Task Git(string dir, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        await p.WaitForExitAsync();
        p.ExitCode.Should().Be(0, await p.StandardError.ReadToEndAsync());
    }
}
