using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Errors;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors;

/// <summary>Error tracking end to end: a deployed Express app reports with the real @sentry/node (11.x) to the DSN the
/// platform put in its environment; errors group into issues per release, a resolved issue seen in a later release
/// regresses while one seen in an older release (a rollback) does not, secrets and PII never reach the store, and
/// malformed or oversized requests and wrong keys are refused with nothing stored.</summary>
[Collection("platform-3")]
public sealed class ErrorTrackingTests
{
    private static readonly string AppSource = Path.Combine(TestApps.RepoRoot, "tests", "Slipway.Tests", "Errors", "SentryApp");

    [Fact]
    public async Task A_node_apps_errors_become_issues_per_release_that_regress_only_in_a_later_release()
    {
        await using var platform = await TestPlatform.StartAsync();
        (await platform.CliAsync("env", "set", "--app", "shop", "--create", "--no-deploy", "--secret", "PAYMENT_KEY=sk_live_51Hx9secretvalue")).ExitCode.Should().Be(0);
        var v1 = await DeployAsync(platform, "1");
        var v2 = await DeployAsync(platform, "2-BOOM");
        (await BoomAsync(platform, "ada")).Should().Be(HttpStatusCode.InternalServerError);
        (await BoomAsync(platform, "grace")).Should().Be(HttpStatusCode.InternalServerError);

        var issue = await WaitForAsync(platform, i => i.GetProperty("count").GetInt64() == 2, "the two events of one issue");
        var id = issue.GetProperty("id").GetInt64();
        issue.GetProperty("title").GetString().Should().MatchRegex("^TypeError: Cannot read order 4[0-9]: it does not exist$");
        issue.GetProperty("users").GetInt64().Should().Be(2);
        issue.GetProperty("status").GetString().Should().Be("unresolved");
        var release2 = issue.GetProperty("firstRelease").GetString();
        release2.Should().NotBeNullOrEmpty();
        (await platform.CliAsync("errors", "ls", "--app", "shop", "--json")).Out.Should().NotContain("\"id\": " + (id + 1), "the same error twice is one issue");

        var show = await platform.CliAsync("errors", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--app", "shop");
        show.ExitCode.Should().Be(0, show.ToString());
        show.Out.Should().Contain("at loadOrder (").And.Contain("server.js:").And.Contain("environment production").And.Contain("GET http")
            .And.Contain("checkout=v2", "the tag the handler set");
        show.Out.Should().Contain($"slipway rollback --app shop --to {v1}", "it began with the deployment of release 2, so going back to 1 is the way out");
        var json = (await platform.CliAsync("errors", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--app", "shop", "--json")).Out;
        json.Should().NotContain("sk_live_51Hx9secretvalue", "a secret's value printed into a breadcrumb is scrubbed").And.Contain("[Filtered]")
            .And.NotContain("buyer@example.com", "e-mail addresses are PII");
        JsonDocument.Parse(json).RootElement.GetProperty("release").GetString().Should().Be(release2);

        (await platform.CliAsync("errors", "resolve", "#" + id, "--app", "shop")).Out.Should().Contain($"is resolved in {release2}");
        // A fix: release 3 answers /boom; then release 4 breaks it again, which is a regression.
        await DeployAsync(platform, "3");
        (await BoomAsync(platform, "ada")).Should().Be(HttpStatusCode.OK);
        await DeployAsync(platform, "4-BOOM");
        (await BoomAsync(platform, "ada")).Should().Be(HttpStatusCode.InternalServerError);
        var regressed = await WaitForAsync(platform, i => i.GetProperty("status").GetString() == "unresolved", "the regression");
        regressed.GetProperty("id").GetInt64().Should().Be(id);
        var release4 = regressed.GetProperty("regressedIn").GetString();
        release4.Should().NotBe(release2);
        (await platform.CliAsync("errors", "ls", "--app", "shop")).Out.Should().Contain("regressed");

        // Resolved in 4, then a rollback to 2's build: an older release, so its errors are no regression.
        (await platform.CliAsync("errors", "resolve", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--app", "shop")).ExitCode.Should().Be(0);
        (await platform.CliAsync("rollback", "--app", "shop", "--to", v2)).ExitCode.Should().Be(0);
        (await BoomAsync(platform, "ada")).Should().Be(HttpStatusCode.InternalServerError);
        await WaitForAsync(platform, i => i.GetProperty("count").GetInt64() == 4 && i.GetProperty("lastRelease").GetString() == release2, "the event of the rolled-back release");
        (await Issue(platform, id)).GetProperty("status").GetString().Should().Be("resolved", "an older build's errors do not reopen what a newer one fixed");

        await RefusalsAsync(platform);
    }

    [Fact]
    public async Task A_build_that_asks_gets_the_browser_dsn_release_and_tunnel_and_one_that_does_not_gets_none()
    {
        await using var platform = await TestPlatform.StartAsync();
        string Source(bool browser)
        {
            var dir = TempDirs.Create("browser-build");
            File.WriteAllText(Path.Combine(dir, "build.js"), """
                const fs = require('fs');
                fs.mkdirSync('out', { recursive: true });
                const names = ['VITE_SENTRY_DSN', 'VITE_SENTRY_RELEASE', 'VITE_SENTRY_ENVIRONMENT', 'VITE_SENTRY_TUNNEL', 'NEXT_PUBLIC_SENTRY_DSN', 'SENTRY_DSN'];
                fs.writeFileSync('out/env.json', JSON.stringify(Object.fromEntries(names.map((n) => [n, process.env[n] ?? null]))));
                """);
            File.WriteAllText(Path.Combine(dir, "slipway.json"), $$"""
                { {{(browser ? "\"errors\": { \"browser\": true }," : "")}}
                  "services": { "site": { "type": "static", "install": null, "build": "node build.js", "output": "out" } } }
                """);
            return dir;
        }
        (await platform.DeployAsync(Source(browser: true), "spa")).ExitCode.Should().Be(0);
        (await platform.DeployAsync(Source(browser: false), "plain")).ExitCode.Should().Be(0);

        var env = JsonDocument.Parse(await (await platform.GetAsync("spa", "/env.json")).Content.ReadAsStringAsync()).RootElement;
        var dsn = (await platform.CliAsync("errors", "dsn", "--app", "spa")).Out.Trim();
        env.GetProperty("VITE_SENTRY_DSN").GetString().Should().Be(dsn);
        env.GetProperty("NEXT_PUBLIC_SENTRY_DSN").GetString().Should().Be(dsn);
        env.GetProperty("VITE_SENTRY_TUNNEL").GetString().Should().Be("/_slipway/errors");
        env.GetProperty("VITE_SENTRY_ENVIRONMENT").GetString().Should().Be("production");
        var state = platform.Services.GetRequiredService<Slipway.State.Store>();
        var build = state.FindDeployment(state.FindApp("spa")!.LiveDeploymentId!)!.BuildId;
        env.GetProperty("VITE_SENTRY_RELEASE").GetString().Should().Be(build, "the release the server processes report too");
        env.GetProperty("SENTRY_DSN").ValueKind.Should().Be(JsonValueKind.Null, "a build gets no server DSN");
        var plain = JsonDocument.Parse(await (await platform.GetAsync("plain", "/env.json")).Content.ReadAsStringAsync()).RootElement;
        plain.GetProperty("VITE_SENTRY_DSN").ValueKind.Should().Be(JsonValueKind.Null, "only a build that asks gets the DSN");
    }

    /// <summary>Malformed envelopes, oversized bodies and wrong keys: a clear 4xx each, nothing stored.</summary>
    private static async Task RefusalsAsync(TestPlatform platform)
    {
        var dsn = (await platform.CliAsync("errors", "dsn", "--app", "shop")).Out.Trim();
        var uri = new Uri(dsn);
        var key = uri.UserInfo;
        var project = uri.AbsolutePath.Trim('/');
        var store = platform.Services.GetRequiredService<ErrorStore>();
        var before = store.List("shop", null, null, 1000).Sum(i => i.Count);
        using var http = new HttpClient();
        async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, byte[] body, string? auth, string? encoding = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{uri.Authority}{path}") { Content = new ByteArrayContent(body) };
            if (auth is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Sentry-Auth", $"Sentry sentry_version=7, sentry_client=tests/1.0, sentry_key={auth}");
            }
            if (encoding is not null)
            {
                request.Content.Headers.ContentEncoding.Add(encoding);
            }
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var envelope = Encoding.UTF8.GetBytes("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n{\"message\":\"hello\",\"level\":\"error\"}\n");

        var malformed = await PostAsync($"/api/{project}/envelope/", Encoding.UTF8.GetBytes("{\"event_id\":1}\n{\"type\":\"event\",\"length\":500}\n{}"), key);
        malformed.Status.Should().Be(HttpStatusCode.BadRequest);
        malformed.Body.Should().Contain("Malformed envelope: item 1 (event) says it is 500 bytes long");
        (await PostAsync($"/api/{project}/envelope/", Encoding.UTF8.GetBytes("not json\n"), key)).Body.Should().Contain("the envelope header is not JSON");
        var wrongKey = await PostAsync($"/api/{project}/envelope/", envelope, "0123456789abcdef0123456789abcdef");
        wrongKey.Status.Should().Be(HttpStatusCode.Forbidden);
        (await PostAsync($"/api/999999/envelope/", envelope, key)).Status.Should().Be(HttpStatusCode.Forbidden, "an unknown project answers as a wrong key does");
        (await PostAsync($"/api/{project}/envelope/", envelope, null)).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await PostAsync("/api/shop/envelope/", envelope, key)).Status.Should().Be(HttpStatusCode.NotFound);
        var huge = await PostAsync($"/api/{project}/store/", new byte[3 * 1024 * 1024], key);
        huge.Status.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        var bomb = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(bomb, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(new byte[20 * 1024 * 1024]);
        }
        (await PostAsync($"/api/{project}/envelope/", bomb.ToArray(), key, "gzip")).Status.Should().Be(HttpStatusCode.RequestEntityTooLarge, "a gzip bomb is cut off");
        (await PostAsync($"/api/{project}/envelope/", [1, 2, 3], key, "gzip")).Status.Should().Be(HttpStatusCode.BadRequest);
        store.List("shop", null, null, 1000).Sum(i => i.Count).Should().Be(before, "nothing refused was stored");

        // What SDKs send besides errors is accepted and dropped; a gzipped envelope is read.
        var session = Encoding.UTF8.GetBytes("{}\n{\"type\":\"session\"}\n{\"sid\":\"x\",\"status\":\"ok\"}\n{\"type\":\"client_report\"}\n{}\n");
        (await PostAsync($"/api/{project}/envelope/", session, key)).Status.Should().Be(HttpStatusCode.OK);
        var zipped = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(zipped, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(envelope);
        }
        var accepted = await PostAsync($"/api/{project}/envelope/", zipped.ToArray(), key, "gzip");
        accepted.Status.Should().Be(HttpStatusCode.OK, accepted.Body);
        accepted.Body.Should().Contain("9ec79c33ec9942ab8353589fcb2e04dc");
        store.List("shop", null, null, 1000).Should().Contain(i => i.Title == "hello");

        // A browser's SDK sends through its app's own host (the tunnel option): the DSN is in the envelope's header.
        async Task<(HttpStatusCode Status, string Body)> TunnelAsync(string host, string envelopeDsn, string message)
        {
            var body = Encoding.UTF8.GetBytes($"{{\"dsn\":\"{envelopeDsn}\"}}\n{{\"type\":\"event\"}}\n{{\"message\":\"{message}\",\"platform\":\"javascript\"}}\n");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{platform.EdgePort}/_slipway/errors") { Content = new ByteArrayContent(body) };
            request.Headers.Host = host;
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        var tunneled = await TunnelAsync("shop.localhost", dsn, "from the browser");
        tunneled.Status.Should().Be(HttpStatusCode.OK, tunneled.Body);
        store.List("shop", null, null, 1000).Should().Contain(i => i.Title == "from the browser");
        var other = dsn[..(dsn.LastIndexOf('/') + 1)] + (long.Parse(project, System.Globalization.CultureInfo.InvariantCulture) + 1000);
        var crossed = await TunnelAsync("shop.localhost", other, "filed under another environment");
        crossed.Status.Should().Be(HttpStatusCode.Forbidden, "a page of one app environment cannot file errors under another");
        crossed.Body.Should().Contain("send each app's errors through its own host");
    }

    private static async Task<string> DeployAsync(TestPlatform platform, string version)
    {
        var dir = TempDirs.Create("sentry-app");
        foreach (var file in Directory.GetFiles(AppSource))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        }
        File.WriteAllText(Path.Combine(dir, "VERSION"), version + "\n");
        var result = await platform.DeployAsync(dir, "shop");
        result.ExitCode.Should().Be(0, result.ToString());
        return JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "shop", "--json")).Out).RootElement[0].GetProperty("id").GetString()!;
    }

    private static int _order = 40;

    private static async Task<HttpStatusCode> BoomAsync(TestPlatform platform, string user)
    {
        using var response = await platform.GetAsync("shop", $"/boom?order={Interlocked.Increment(ref _order)}&user={user}");
        return response.StatusCode;
    }

    private static async Task<JsonElement> Issue(TestPlatform platform, long id) =>
        JsonDocument.Parse((await platform.CliAsync("errors", "ls", "--app", "shop", "--json")).Out).RootElement.EnumerateArray()
            .Single(i => i.GetProperty("id").GetInt64() == id);

    private static async Task<JsonElement> WaitForAsync(TestPlatform platform, Func<JsonElement, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var list = await platform.CliAsync("errors", "ls", "--app", "shop", "--json");
            if (list.ExitCode == 0 && JsonDocument.Parse(list.Out).RootElement.EnumerateArray().FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } found)
            {
                return found.Clone();
            }
            DateTime.UtcNow.Should().BeBefore(deadline, $"{what} within 20 s (last: {list.Out})");
            await Task.Delay(200);
        }
    }
}
