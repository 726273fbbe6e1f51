using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Slipway.Tests.Manifests;
using Slipway.Tests.Support;

namespace Slipway.Tests.Monitoring.Uptime;

/// <summary>A deployed app's default check through the edge, the app stopped by its user (down from its users' side)
/// and started again, and the status page the platform serves for it at its own hostname through the edge.</summary>
[Collection("platform")]
public sealed class StatusPagePlatformTests
{
    private const string StatusHost = "status.example.test";

    [Fact]
    public async Task A_stopped_app_is_down_on_its_default_check_and_its_status_page_shows_the_incident_and_its_note()
    {
        await using var platform = await UptimeCheckerTests.StartAsync();
        using var source = new TempSource();
        source.Manifest("""{ "services": { "site": { "type": "static", "install": null, "build": null, "output": "." } } }""").File("index.html", "<h1>shop</h1>");
        (await platform.DeployAsync(source.Dir, "shop")).ExitCode.Should().Be(0);

        var up = await UptimeCheckerTests.WaitForAsync(() => Check(platform, "shop") is { } c && c.GetProperty("state").GetString() == "up" ? (object)c : null,
            "the default check to be up");
        var check = (JsonElement)up;
        check.GetProperty("kind").GetString().Should().Be("default");
        check.GetProperty("url").GetString().Should().Be("http://shop.localhost/");
        var ls = await platform.CliAsync("uptime", "ls");
        ls.Out.Should().Contain("shop").And.Contain("100.00% ✓").And.Contain("cannot see the machine itself go down").And.Contain("/healthz");

        await RefusesBadPagesAsync(platform);
        var created = await platform.CliAsync("status-page", "create", "acme", "--apps", "shop", "--host", StatusHost, "--title", "Acme <status>");
        created.ExitCode.Should().Be(0, created.ToString());
        created.Out.Should().Contain($"at http://{StatusHost}:{platform.EdgePort}/ through the edge", "the address a browser opens, with the edge's port");
        var taken = await platform.CliAsync("hosts", "add", StatusHost, "--app", "shop");
        taken.ExitCode.Should().Be(1);
        taken.Err.Should().Contain("status page acme");

        (await platform.CliAsync("stop", "--app", "shop")).ExitCode.Should().Be(0);
        var down = (JsonElement)await UptimeCheckerTests.WaitForAsync(
            () => Check(platform, "shop") is { } c && c.GetProperty("state").GetString() == "down" && c.GetProperty("cause").GetString() == "HTTP 503" ? (object)c : null,
            "the stopped app's check to be down with the edge's 503 as its latest cause (a check that ran while the app was stopping may have " +
            "timed out first on a loaded machine; the incident keeps its latest cause)");
        var note = await platform.CliAsync("status-page", "note", "acme", "We are <looking> into it");
        note.ExitCode.Should().Be(0, note.ToString());
        note.Out.Should().Contain(down.GetProperty("incidentId").GetString());

        using var page = await GetAsync(platform, "/");
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.Should().Be(HttpStatusCode.OK, html);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        page.Headers.GetValues("Content-Security-Policy").Single().Should().StartWith("default-src 'none'; style-src 'sha256-");
        page.Headers.CacheControl!.MaxAge.Should().Be(TimeSpan.FromSeconds(30));
        html.Should().NotContainEquivalentOf("<script").And.Contain("<title>Acme &lt;status&gt;</title>").And.Contain("Major outage")
            .And.Contain("<h3>shop</h3>").And.Contain("shop: down (GET http://shop.localhost/)").And.Contain("We are &lt;looking&gt; into it")
            .And.Contain("HTTP 503");
        Regex.Count(html, "<li class=\"d-").Should().Be(90);
        html.Should().Contain("class=\"d-major\"", "today has downtime");

        foreach (var (path, token) in new[] { "/v1/apps", "/v1/status-pages", "/metrics", "/v1/ping" }.SelectMany(p => new[] { (p, false), (p, true) }))
        {
            using var api = await GetAsync(platform, path, token);
            api.StatusCode.Should().Be(HttpStatusCode.NotFound, $"{path} is not served under a status page's hostname (token: {token})");
            (await api.Content.ReadAsStringAsync()).Should().NotContain("shop");
        }
        using (var head = await SendAsync(platform, HttpMethod.Head, "/"))
        {
            head.StatusCode.Should().Be(HttpStatusCode.OK);
        }
        using (var post = await SendAsync(platform, HttpMethod.Post, "/v1/status-pages"))
        {
            post.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        }

        (await platform.CliAsync("start", "--app", "shop")).ExitCode.Should().Be(0);
        await UptimeCheckerTests.WaitForAsync(() => Check(platform, "shop") is { } c && c.GetProperty("state").GetString() == "up" ? (object)c : null,
            "the check to recover");
        using var after = await GetAsync(platform, "/");
        var closed = await after.Content.ReadAsStringAsync();
        closed.Should().Contain("All systems operational").And.Contain("Past incidents").And.Contain("shop: down").And.Contain("We are &lt;looking&gt; into it");

        var paused = await platform.CliAsync("uptime", "pause", "--app", "shop");
        paused.ExitCode.Should().Be(0, paused.ToString());
        Check(platform, "shop")!.Value.GetProperty("state").GetString().Should().Be("paused");
        (await platform.CliAsync("uptime", "rm", "shop")).Err.Should().Contain("default check of shop");
        var destroyed = await platform.CliAsync("destroy", "--app", "shop", "--yes");
        destroyed.ExitCode.Should().Be(0, destroyed.ToString());
        Check(platform, "shop").Should().BeNull("a destroyed environment's check goes with it");
    }

    private static async Task RefusesBadPagesAsync(TestPlatform platform)
    {
        var unknown = await platform.CliAsync("status-page", "create", "acme", "--apps", "shopp", "--host", StatusHost);
        unknown.Err.Should().Contain("There is no app named shopp; did you mean shop?");
        (await platform.CliAsync("status-page", "create", "acme", "--apps", "shop", "--host", "not a host")).Err.Should().Contain("not a valid hostname");
        (await platform.CliAsync("status-page", "create", "acme", "--apps", "shop", "--host", "shop.localhost")).Err.Should().Contain("already serves app shop");
        (await platform.CliAsync("status-page", "create", "acme", "--apps", "shop", "--host", "slipway.localhost")).Err.Should().Contain("platform's own hostname");
        (await platform.CliAsync("status-page", "create", "other", "--apps", "shop", "--host", "other.example.test")).ExitCode.Should().Be(0);
        (await platform.CliAsync("status-page", "create", "other", "--apps", "shop", "--host", "third.example.test")).Err.Should().Contain("already a status page named other");
        (await platform.CliAsync("status-page", "create", "acme", "--apps", "shop", "--host", "other.example.test")).Err.Should().Contain("status page other");
        (await platform.CliAsync("status-page", "rm", "other")).ExitCode.Should().Be(0);
    }

    private static JsonElement? Check(TestPlatform platform, string name)
    {
        var ls = platform.CliAsync("uptime", "ls", "--json").GetAwaiter().GetResult();
        return JsonDocument.Parse(ls.Out).RootElement.EnumerateArray().Where(c => c.GetProperty("name").GetString() == name).Cast<JsonElement?>().FirstOrDefault();
    }

    private static Task<HttpResponseMessage> SendAsync(TestPlatform platform, HttpMethod method, string path) => GetAsync(platform, path, method: method);

    private static async Task<HttpResponseMessage> GetAsync(TestPlatform platform, string path, bool token = false, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}{path}");
        request.Headers.Host = StatusHost;
        if (token)
        {
            request.Headers.Authorization = new("Bearer", (await File.ReadAllTextAsync(Path.Combine(platform.DataDir, "api-token"))).Trim());
        }
        return await platform.Http.SendAsync(request);
    }
}
