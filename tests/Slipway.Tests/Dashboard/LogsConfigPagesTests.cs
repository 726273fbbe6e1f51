using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Slipway.Api;
using Slipway.Cli;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>The Logs and Config tabs in the machine's Chromium, through the edge at slipway.localhost, on one platform
/// whose edge cuts a response of the API quiet for 3 s (60 s in production, PlatformIdleTimeout; not shorter: it also
/// bounds how long a page may take to start answering on a loaded machine): the log page follows a
/// line printed after it opened, holds lines back while paused, filters by service and level and searches; a followed
/// stream stays open through the edge by its keep-alives (and `slipway logs -f` prints none of them), and the page
/// reconnects with since= when a stream is cut anyway. The config page edits, reviews and saves a release the edge then
/// serves; reveal asks for the password; a viewer has neither button and gets the API's 403.</summary>
[Collection("platform-2")]
public sealed class LogsConfigPagesTests(LogsConfigPagesTests.Platform fixture, ITestOutputHelper output) : IClassFixture<LogsConfigPagesTests.Platform>
{
    private const string Secret = "tok-7f3a9c2e51";

    /// <summary>One platform with the app deployed, its users and a browser, for the whole class.</summary>
    public sealed class Platform : IAsyncLifetime
    {
        internal TestPlatform Slipway { get; private set; } = null!;
        internal Browser Browser { get; private set; } = null!;
        internal string Site => $"http://slipway.localhost:{Slipway.EdgePort}";

        public async Task InitializeAsync()
        {
            Slipway = await TestPlatform.StartAsync(configure: o => o with { PlatformIdleTimeout = TimeSpan.FromSeconds(3) });
            (await Slipway.CliAsync("env", "set", "--app", "shop", "--create", "--no-deploy", "GREETING=hello")).ExitCode.Should().Be(0);
            (await Slipway.CliAsync("env", "set", "--app", "shop", "--secret", "--no-deploy", $"API_TOKEN={Secret}", "SIGNING_KEY=sk-first")).ExitCode.Should().Be(0);
            await Slipway.AddUserAsync("olga", null);
            await Slipway.AddUserAsync("vic", "viewer", "--app", "shop");
            await Slipway.AddUserAsync("ada", "admin", "--app", "shop");
            var deployed = await Slipway.DeployAsync(App(), "shop");
            deployed.ExitCode.Should().Be(0, deployed.ToString());
            Browser = await Browser.LaunchAsync();
        }

        public async Task DisposeAsync()
        {
            if (Browser is not null)
            {
                await Browser.DisposeAsync();
            }
            if (Slipway is not null)
            {
                await Slipway.DisposeAsync();
            }
        }

        /// <summary>web prints what /say asks (a JSON line with its level) and answers its environment at /env/NAME;
        /// worker prints two lines as it starts, then nothing.</summary>
        private static string App()
        {
            var dir = TempDirs.Create("logapp");
            File.WriteAllText(Path.Combine(dir, "web.js"), """
                const http = require('http');
                http.createServer((req, res) => {
                  const url = new URL(req.url, 'http://x');
                  if (url.pathname === '/say') {
                    console.log(JSON.stringify({ level: url.searchParams.get('level') || 'info', msg: url.searchParams.get('text') }));
                  } else if (url.pathname.startsWith('/env/')) {
                    res.end(process.env[url.pathname.slice(5)] ?? '');
                    return;
                  }
                  res.end('ok');
                }).listen(process.env.PORT, process.env.HOST);
                """);
            File.WriteAllText(Path.Combine(dir, "worker.js"), """
                console.log('worker started');
                console.log(JSON.stringify({ level: 'warn', msg: 'worker cache is cold' }));
                setInterval(() => {}, 1 << 30);
                """);
            File.WriteAllText(Path.Combine(dir, "slipway.json"), """
                { "services": { "web": { "start": "node web.js" }, "worker": { "type": "worker", "start": "node worker.js" } } }
                """);
            return dir;
        }
    }

    private TestPlatform Slipway => fixture.Slipway;

    private static string Password(string user) => TestUsers.PasswordOf(user);

    [Fact]
    public async Task The_log_follows_new_lines_pauses_filters_and_searches()
    {
        await using var owner = await SignInAsync("olga", "/apps/shop/logs");
        var tab = owner.Page;
        var log = tab.Locator("#log");
        await Assertions.Expect(log).ToContainTextAsync("worker started");
        await Assertions.Expect(tab.Locator("#log-state")).ToHaveTextAsync("Following new lines.");

        await SayAsync("printed after the page opened");
        await Assertions.Expect(log).ToContainTextAsync("printed after the page opened");

        // Pause by keyboard: new lines arrive but are held back, and come on resume.
        await tab.FocusAsync("#log-pause");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#log-pause")).ToHaveAttributeAsync("aria-pressed", "true");
        await SayAsync("held back while paused");
        await Assertions.Expect(tab.Locator("#log-state")).ToHaveTextAsync("Paused: 1 new line held back.");
        await Assertions.Expect(log).Not.ToContainTextAsync("held back while paused");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(log).ToContainTextAsync("held back while paused");
        (await owner.AxeAsync()).Should().BeEmpty("the logs page has no serious accessibility violation");
        await owner.ScreenshotAsync("logs");

        await tab.SelectOptionAsync("#log-service", "web");
        await Assertions.Expect(log).ToContainTextAsync("held back while paused");
        await Assertions.Expect(log).Not.ToContainTextAsync("worker");
        await tab.SelectOptionAsync("#log-level", "warn");
        await Assertions.Expect(log).Not.ToContainTextAsync("held back while paused");
        await SayAsync("a warning from web", "warn");
        await Assertions.Expect(log).ToContainTextAsync("a warning from web");
        tab.Url.Should().EndWith("/apps/shop/logs?service=web&level=warn", "the filters are in the address, to share or reload");

        await tab.SelectOptionAsync("#log-service", "");
        await tab.SelectOptionAsync("#log-level", "");
        await tab.FillAsync("#log-grep", "held|searched");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(log).Not.ToContainTextAsync("worker started");
        await Assertions.Expect(log).ToContainTextAsync("held back while paused");
        await SayAsync("a live line the search skips");
        await SayAsync("a live line searched for");
        await Assertions.Expect(log).ToContainTextAsync("a live line searched for");
        await Assertions.Expect(log).Not.ToContainTextAsync("the search skips");

        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the logs page fits a 375 px screen");
        await owner.ScreenshotAsync("logs-375");
        owner.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task A_quiet_follow_stream_stays_open_through_the_edge_and_the_page_reconnects_when_one_is_cut()
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var token = await CliLoginAsync(http, "olga");

        // Through the edge, which cuts a response quiet for 3 s: the keep-alives (every 0.75 s) hold it open for 5 s. At
        // the same time `slipway logs -f` (over the socket, keep-alives all the same) prints lines and no empty ones.
        using var stream = await FollowAsync(http, token, "service=web");
        var read = ReadLinesAsync(stream, TimeSpan.FromSeconds(5));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var printed = new StringWriter();
        using var errors = new StringWriter();
        var cli = CliApp.RunAsync(["logs", "--app", "shop", "-f", "--service", "web", "--tail", "1", "--data", Slipway.DataDir], printed, errors, null, stop.Token);
        await Task.Delay(4_000);
        await SayAsync("after a quiet spell");
        var (lines, ended) = await read;
        ended.Should().BeFalse("the stream outlives the edge's 3 s idle cut");
        lines.Count(l => l.Length == 0).Should().BeGreaterThanOrEqualTo(4, "an empty line is sent every 0.75 s while nothing else is");
        lines.Where(l => l.Length > 0).Should().ContainSingle(l => l.Contains("after a quiet spell", StringComparison.Ordinal));
        (await cli).Should().Be(0, errors.ToString());
        printed.ToString().Should().Contain("after a quiet spell");
        printed.ToString().Split('\n').SkipLast(1).Should().NotContain(l => l.Trim().Length == 0, "keep-alives are not printed");

        // Without keep-alives the edge cuts a quiet stream (so the above means something), and the page reconnects
        // with since= the last line it has, showing no line twice.
        var options = Slipway.Services.GetRequiredService<ApiOptions>();
        var keepAlive = options.StreamKeepAlive;
        options.StreamKeepAlive = TimeSpan.FromMinutes(10);
        try
        {
            using var cut = await FollowAsync(http, token, "service=web");
            var cutRead = ReadLinesAsync(cut, TimeSpan.FromSeconds(8));
            await using var owner = await SignInAsync("olga", "/apps/shop/logs?service=web");
            (await cutRead).Ended.Should().BeTrue("without keep-alives the edge cuts a stream quiet for 3 s");
            var tab = owner.Page;
            await Assertions.Expect(tab.Locator("#log-state")).ToHaveTextAsync("Following new lines.");
            var reconnected = new TaskCompletionSource();
            tab.Request += (_, request) =>
            {
                if (request.Url.Contains("/v1/apps/shop/logs?", StringComparison.Ordinal) && request.Url.Contains("since=", StringComparison.Ordinal))
                {
                    reconnected.TrySetResult();
                }
            };
            await SayAsync("before the cut");
            await Assertions.Expect(tab.Locator("#log")).ToContainTextAsync("before the cut");
            await reconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await SayAsync("after the reconnect");
            await Assertions.Expect(tab.Locator("#log")).ToContainTextAsync("after the reconnect");
            (await tab.Locator("#log .line", new() { HasTextString = "before the cut" }).CountAsync()).Should().Be(1, "a reconnect shows no line twice");
            output.WriteLine(string.Join("\n", owner.Errors));
            owner.Errors.Should().OnlyContain(e => e.Contains("ERR_", StringComparison.Ordinal), "the cuts are the only errors");
        }
        finally
        {
            options.StreamKeepAlive = keepAlive;
        }
    }

    [Fact]
    public async Task An_owner_edits_reviews_and_saves_a_release_that_the_edge_serves()
    {
        await using var owner = await SignInAsync("olga", "/apps/shop/config");
        var tab = owner.Page;
        await Assertions.Expect(tab.Locator("[data-value-of=API_TOKEN]")).ToHaveTextAsync(ConfigEndpoints.Mask);
        (await tab.ContentAsync()).Should().NotContain(Secret, "a secret's value is never in the page");
        (await owner.AxeAsync()).Should().BeEmpty("the config page has no serious accessibility violation");
        await owner.ScreenshotAsync("config");

        await tab.FocusAsync("#config-edit");
        await tab.Keyboard.PressAsync("Enter");
        await tab.FillAsync("#value-GREETING", "hello from the dashboard");
        await tab.FillAsync("#value-SIGNING_KEY", "sk-rotated-0042");
        await tab.ClickAsync("#config-add-row");
        await tab.FillAsync(".new-var input[name=new-name]", "FEATURE_FLAG");
        await tab.FillAsync(".new-var textarea[name=new-value]", "on");
        await tab.ClickAsync("#config-review");
        var diff = tab.Locator("#config-diff li");
        await Assertions.Expect(diff).ToHaveTextAsync(["+ FEATURE_FLAG = on", "~ GREETING: hello → hello from the dashboard", "~ SIGNING_KEY (secret): value changed"]);
        (await tab.Locator("#config-review-panel").InnerTextAsync()).Should().NotContain("sk-rotated", "the review never shows a secret's value");
        (await owner.AxeAsync()).Should().BeEmpty("the review has no serious accessibility violation");
        await owner.ScreenshotAsync("config-review");

        await tab.ClickAsync("#config-save");
        var release = tab.Locator("#notice a");
        await Assertions.Expect(release).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^release #\d+$"));
        (await release.GetAttributeAsync("href")).Should().StartWith("/apps/shop#deployment-d-");
        await Assertions.Expect(tab.Locator("[data-value-of=GREETING]")).ToHaveTextAsync("hello from the dashboard");
        await Assertions.Expect(tab.Locator("[data-value-of=FEATURE_FLAG]")).ToHaveTextAsync("on");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await (await Slipway.GetAsync("shop", "/env/GREETING")).Content.ReadAsStringAsync() != "hello from the dashboard")
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the release goes live within 20 s");
            await Task.Delay(200);
        }
        (await (await Slipway.GetAsync("shop", "/env/SIGNING_KEY")).Content.ReadAsStringAsync()).Should().Be("sk-rotated-0042");
        var listed = await Slipway.CliAsync("env", "ls", "--app", "shop", "--json");
        JsonDocument.Parse(listed.Out).RootElement.EnumerateArray().Should().Contain(v => v.GetProperty("name").GetString() == "SIGNING_KEY" && v.GetProperty("secret").GetBoolean(),
            "a secret changed in the form stays a secret");
        await tab.ClickAsync("#notice a");
        await tab.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/apps/shop#deployment-"));
        await Assertions.Expect(tab.Locator("#deployments li").First).ToContainTextAsync("config");

        await tab.SetViewportSizeAsync(375, 800);
        await tab.GotoAsync(fixture.Site + "/apps/shop/config");
        await tab.ClickAsync("#config-edit");
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the config page, editing, fits a 375 px screen");
        await owner.ScreenshotAsync("config-375");
        owner.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task Reveal_asks_for_the_password_and_a_token_is_sent_to_the_CLI()
    {
        await using var owner = await SignInAsync("olga", "/apps/shop/config");
        var tab = owner.Page;
        await tab.ClickAsync("#config-reveal");
        await tab.FillAsync("#reveal-password", "not my password");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#reveal-error")).ToContainTextAsync("That is not your password; nothing was revealed.");
        (await tab.ContentAsync()).Should().NotContain(Secret);
        await tab.FillAsync("#reveal-password", Password("olga"));
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("[data-value-of=API_TOKEN]")).ToHaveTextAsync(Secret);
        await Assertions.Expect(tab.Locator("[data-value-of=SIGNING_KEY]")).Not.ToHaveTextAsync(ConfigEndpoints.Mask);
        await Assertions.Expect(tab.Locator("#config-reveal")).ToHaveTextAsync("Hide secrets");
        await tab.ClickAsync("#config-reveal");
        await Assertions.Expect(tab.Locator("[data-value-of=API_TOKEN]")).ToHaveTextAsync(ConfigEndpoints.Mask);

        var audit = await Slipway.CliAsync("audit", "--app", "shop", "--json");
        var reveals = JsonDocument.Parse(audit.Out).RootElement.EnumerateArray().Where(e => e.GetProperty("action").GetString() == "config.reveal").ToList();
        reveals.Select(e => e.GetProperty("outcome").GetString()).Should().Contain(["denied", "ok"], "both tries are audited");
        audit.Out.Should().NotContain(Secret).And.NotContain("not my password");

        // A token has no password to type again: the API says to use the CLI.
        var made = await Slipway.CliAsync("tokens", "create", "--name", "ci", "--app", "shop", "--role", "admin", "--json");
        made.ExitCode.Should().Be(0, made.ToString());
        using var http = new HttpClient();
        using var request = Edge(HttpMethod.Post, "/v1/apps/shop/config/reveal");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", JsonDocument.Parse(made.Out).RootElement.GetProperty("token").GetString());
        request.Content = System.Net.Http.Json.JsonContent.Create(new { password = "anything" });
        using var answer = await http.SendAsync(request);
        var text = await answer.Content.ReadAsStringAsync();
        answer.StatusCode.Should().Be(HttpStatusCode.BadRequest, text);
        text.Should().Contain("slipway env get NAME --app shop --reveal");
        owner.Errors.Should().ContainSingle("the wrong password's 403 is the only error").Which.Should().Contain("status of 403");

        // Guessing is throttled as logins are: after five wrong passwords even the right one waits.
        var session = await CliLoginAsync(http, "ada");
        for (var attempt = 1; attempt <= 6; attempt++)
        {
            using var guess = Edge(HttpMethod.Post, "/v1/apps/shop/config/reveal");
            guess.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session);
            guess.Content = System.Net.Http.Json.JsonContent.Create(new { password = attempt <= 5 ? $"guess {attempt}" : Password("ada"), name = "API_TOKEN" });
            using var refused = await http.SendAsync(guess);
            var said = await refused.Content.ReadAsStringAsync();
            refused.StatusCode.Should().Be(attempt <= 5 ? HttpStatusCode.Forbidden : HttpStatusCode.TooManyRequests, said);
            if (attempt == 6)
            {
                said.Should().Contain("Too many wrong passwords").And.NotContain(Secret);
                refused.Headers.RetryAfter.Should().NotBeNull();
            }
        }
    }

    [Fact]
    public async Task A_viewer_sees_masked_values_without_edit_or_reveal_and_gets_the_APIs_403()
    {
        await using var viewer = await SignInAsync("vic", "/apps/shop/config", width: 375);
        var tab = viewer.Page;
        await Assertions.Expect(tab.Locator("[data-value-of=API_TOKEN]")).ToHaveTextAsync(ConfigEndpoints.Mask);
        (await tab.Locator("#config-edit, #config-reveal, #reveal-form, textarea").CountAsync()).Should().Be(0, "a viewer may neither edit nor reveal");
        (await viewer.AxeAsync()).Should().BeEmpty();
        (await viewer.ScrollsSidewaysAsync()).Should().BeFalse();
        await viewer.ScreenshotAsync("config-viewer-375");

        var csrf = await tab.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        using var http = new HttpClient();
        foreach (var (path, body) in new (string, object)[]
        {
            ("/v1/apps/shop/config", new { set = new Dictionary<string, string> { ["GREETING"] = "forced" }, secret = false }),
            ("/v1/apps/shop/config/reveal", new { password = Password("vic") }),
        })
        {
            using var request = Edge(HttpMethod.Post, path);
            request.Headers.Add("Cookie", await viewer.CookieHeaderAsync(fixture.Site));
            request.Headers.Add("X-CSRF-Token", csrf);
            request.Content = System.Net.Http.Json.JsonContent.Create(body);
            using var forced = await http.SendAsync(request);
            var refusal = await forced.Content.ReadAsStringAsync();
            forced.StatusCode.Should().Be(HttpStatusCode.Forbidden, refusal);
            refusal.Should().Contain("vic is viewer");
        }

        await tab.GotoAsync(fixture.Site + "/apps/shop/logs");
        await Assertions.Expect(tab.Locator("#log")).ToContainTextAsync("worker started");
        viewer.Errors.Should().BeEmpty();
    }

    private async Task<BrowserPage> SignInAsync(string user, string path, int width = 1280)
    {
        var page = await fixture.Browser.OpenAsync(width, 800);
        await page.Page.GotoAsync(fixture.Site + path);
        await page.Page.FillAsync("#name", user);
        await page.Page.FillAsync("#password", Password(user));
        await page.Page.ClickAsync("button[type=submit]");
        await page.Page.WaitForURLAsync(fixture.Site + path);
        return page;
    }

    private async Task SayAsync(string text, string level = "info")
    {
        using var said = await Slipway.GetAsync("shop", $"/say?level={level}&text={Uri.EscapeDataString(text)}");
        said.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private HttpRequestMessage Edge(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, $"http://127.0.0.1:{Slipway.EdgePort}{path}");
        request.Headers.Host = $"slipway.localhost:{Slipway.EdgePort}";
        return request;
    }

    private async Task<string> CliLoginAsync(HttpClient http, string user)
    {
        using var request = Edge(HttpMethod.Post, "/v1/login");
        request.Content = System.Net.Http.Json.JsonContent.Create(new { name = user, password = Password(user), kind = "cli" });
        using var answer = await http.SendAsync(request);
        answer.StatusCode.Should().Be(HttpStatusCode.OK, await answer.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>GET /v1/apps/shop/logs?follow=true&amp;tail=0 through the edge; the response, read as it comes.</summary>
    private async Task<HttpResponseMessage> FollowAsync(HttpClient http, string token, string filter)
    {
        using var request = Edge(HttpMethod.Get, $"/v1/apps/shop/logs?follow=true&tail=0&{filter}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return response;
    }

    /// <summary>The lines of a stream for <paramref name="window"/>, and whether it ended (or was cut) before then.</summary>
    private static async Task<(List<string> Lines, bool Ended)> ReadLinesAsync(HttpResponseMessage response, TimeSpan window)
    {
        var lines = new List<string>();
        using var stop = new CancellationTokenSource(window);
        try
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                lines.Add(line);
            }
            return (lines, true);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return (lines, false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return (lines, true);
        }
    }
}
