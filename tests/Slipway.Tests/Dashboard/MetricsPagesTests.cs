using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>The monitoring pages in the machine's Chromium, through the edge at slipway.localhost, on one platform whose
/// app the fixture sent a few hundred requests (some answered 500, two of them reported to error tracking by the app
/// itself) and whose uptime check of a closed port fires an alert: the Metrics tab draws uPlot charts from the JSON API
/// and its table counts the requests sent; its pickers change what is fetched; the overview's sparkline and the
/// platform's Metrics page show the traffic; the Alerts page shows the firing alert; the Errors tab shows the app's error
/// with its stack, which the owner resolves by keyboard while a viewer has no button and gets the API's 403. No page
/// violates the CSP, logs an error, has a serious accessibility violation or scrolls sideways at 375 px.</summary>
[Collection("platform-3")]
public sealed class MetricsPagesTests(MetricsPagesTests.Site site, ITestOutputHelper output) : IClassFixture<MetricsPagesTests.Site>
{
    [Fact]
    public async Task The_metrics_tab_charts_the_requests_sent_and_its_pickers_change_what_is_fetched()
    {
        await using var owner = await site.LoginAsync("olga");
        var tab = owner.Page;
        var chart = tab.WaitForResponseAsync(r => r.Url.Contains("/v1/apps/shop/metrics/chart?", StringComparison.Ordinal) && r.Url.Contains("since=1h", StringComparison.Ordinal));
        await tab.GotoAsync(site.Url + "/apps/shop/metrics");
        (await chart).Status.Should().Be(200);
        foreach (var kind in (string[])["requests", "statuses", "latency"])
        {
            await Assertions.Expect(tab.Locator($"#chart-{kind} canvas")).ToHaveCountAsync(1);
            await Assertions.Expect(tab.Locator($"#chart-{kind}")).ToHaveAttributeAsync("data-requests", new Regex("^[1-9]"));
        }
        var drawnFrom = long.Parse((await tab.Locator("#chart-requests").GetAttributeAsync("data-requests"))!, CultureInfo.InvariantCulture);
        drawnFrom.Should().BeInRange(Site.Sent, Site.Sent + 5, "the chart is drawn from the requests the test sent");
        // The canvas has something on it: some pixel is not blank.
        (await tab.EvaluateAsync<bool>("""
            () => { const c = document.querySelector('#chart-requests canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    for (let i = 3; i < d.length; i += 4) { if (d[i] !== 0) return true; } return false; }
            """)).Should().BeTrue("the chart drew on its canvas");
        Number(await tab.Locator("#measure-requests td").First.TextContentAsync()).Should().BeInRange(Site.Sent, Site.Sent + 5,
            "the table (the charts' text alternative) counts what was sent");
        (await tab.Locator("#measure-s5xx td").First.TextContentAsync()).Should().Be(Site.Failed.ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(tab.Locator("#series-table")).ToContainTextAsync("/api/:rest*");
        (await owner.AxeAsync()).Should().BeEmpty("the Metrics tab has no serious accessibility violation");
        await owner.ScreenshotAsync("metrics-tab");

        // The route picker: the chart asks for that route only, the table counts its requests.
        var routed = tab.WaitForRequestAsync(r => r.Url.Contains("/metrics/chart?", StringComparison.Ordinal) && r.Url.Contains("route=%2Fapi%2F%3Arest*", StringComparison.Ordinal));
        await tab.SelectOptionAsync("#series", "web /api/:rest*");
        (await routed).Url.Should().Contain("service=web");
        await Assertions.Expect(tab.Locator("#measure-requests td").First).ToHaveTextAsync(Site.ApiCalls.ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(tab.Locator("#chart-requests")).ToHaveAttributeAsync("data-requests", Site.ApiCalls.ToString(CultureInfo.InvariantCulture));
        // The range picker, by keyboard: a week in hours.
        var week = tab.WaitForRequestAsync(r => r.Url.Contains("/metrics/chart?", StringComparison.Ordinal) && r.Url.Contains("since=7d", StringComparison.Ordinal));
        await tab.FocusAsync("#since");
        await tab.SelectOptionAsync("#since", "7d");
        (await week).Url.Should().Contain("points=168");
        await Assertions.Expect(tab.Locator("#chart-requests")).ToHaveAttributeAsync("data-steps", "169");
        await Assertions.Expect(tab.Locator("#measures caption")).ToContainTextAsync("Last 7 days, web: /api/:rest*");
        tab.Url.Should().EndWith("/apps/shop/metrics?since=7d&series=web+%2Fapi%2F%3Arest*", "a reload shows the same choice");

        await tab.SetViewportSizeAsync(375, 800);
        await tab.ReloadAsync();
        await Assertions.Expect(tab.Locator("#chart-latency canvas")).ToHaveCountAsync(1);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the Metrics tab fits a 375 px screen");
        await owner.ScreenshotAsync("metrics-tab-375");
        owner.CspViolations.Should().BeEmpty("uPlot writes no style attribute or element");
        owner.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task The_overview_has_a_sparkline_of_the_last_hour_and_the_metrics_page_lists_each_app()
    {
        await using var viewer = await site.LoginAsync("vic");
        var tab = viewer.Page;
        var spark = tab.Locator("#overview svg[role=img]");
        await Assertions.Expect(spark).ToHaveCountAsync(1);
        var label = (await spark.GetAttributeAsync("aria-label"))!;
        output.WriteLine(label);
        label.Should().MatchRegex(@"^Last hour: [0-9,]+ requests \([0-9.]+ a minute\), [0-9]+ errors \([0-9.]+% 5xx\)$");
        Number(Regex.Match(label, "^Last hour: ([0-9,]+)").Groups[1].Value).Should().BeInRange(Site.Sent, Site.Sent + 5);
        (await spark.Locator("polyline").First.GetAttributeAsync("points")).Should().NotBeNullOrEmpty();
        (await viewer.AxeAsync()).Should().BeEmpty("the overview with its sparklines has no serious accessibility violation");
        await viewer.ScreenshotAsync("overview-sparkline");

        await tab.ClickAsync("header nav a[href='/metrics/apps']");
        await tab.WaitForURLAsync(site.Url + "/metrics/apps");
        var row = tab.Locator("#traffic-shop-production");
        await Assertions.Expect(row).ToContainTextAsync("shop");
        Number(await row.Locator("td").Nth(3).TextContentAsync()).Should().BeInRange(Site.Sent, Site.Sent + 5, "the last hour's requests");
        Number(await row.Locator("td").Nth(0).TextContentAsync()).Should().BeGreaterThan(0, "requests per minute now");
        (await row.Locator("a").GetAttributeAsync("href")).Should().Be("/apps/shop/metrics");
        (await viewer.AxeAsync()).Should().BeEmpty("the Metrics page has no serious accessibility violation");
        await viewer.ScreenshotAsync("metrics");
        await tab.SetViewportSizeAsync(375, 800);
        (await viewer.ScrollsSidewaysAsync()).Should().BeFalse("the Metrics page fits a 375 px screen");
        viewer.CspViolations.Should().BeEmpty();
        viewer.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task The_alerts_page_shows_the_firing_alert_and_the_uptime_checks()
    {
        await using var owner = await site.LoginAsync("olga");
        var tab = owner.Page;
        await tab.GotoAsync(site.Url + "/alerts");
        await Assertions.Expect(tab.Locator("#firing")).ToContainTextAsync("refused: down", new() { Timeout = 20_000 });
        // Other alerts may fire beside it (the class's 500s raise the error rate): the uptime check's is critical.
        await Assertions.Expect(tab.Locator("#firing li.alert").Filter(new() { HasTextString = "refused: down" }).Locator(".badge").First)
            .ToHaveTextAsync("critical, firing");
        await Assertions.Expect(tab.Locator("#check-refused .badge")).ToHaveTextAsync("down");
        await Assertions.Expect(tab.Locator("#pause-refused")).ToHaveCountAsync(1);
        (await owner.AxeAsync()).Should().BeEmpty("the Alerts page has no serious accessibility violation");
        await owner.ScreenshotAsync("alerts");
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the Alerts page fits a 375 px screen");
        await owner.ScreenshotAsync("alerts-375");

        await using var viewer = await site.LoginAsync("vic");
        await viewer.Page.GotoAsync(site.Url + "/alerts");
        await Assertions.Expect(viewer.Page.Locator("#firing")).ToContainTextAsync("refused: down");
        (await viewer.Page.Locator("#uptime button").CountAsync()).Should().Be(0, "a viewer may not pause a check");
        owner.CspViolations.Should().BeEmpty();
        owner.Errors.Should().BeEmpty();
        viewer.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task The_errors_tab_shows_the_apps_error_with_its_stack_the_owner_resolves_it_and_a_viewer_cannot()
    {
        await using var owner = await site.LoginAsync("olga");
        var tab = owner.Page;
        await tab.GotoAsync(site.Url + "/apps/shop/errors");
        var issue = tab.Locator("#issues li").First;
        await Assertions.Expect(issue).ToContainTextAsync("TypeError: Cannot read order", new() { Timeout = 15_000 });
        await Assertions.Expect(issue).ToContainTextAsync("2 events");
        (await owner.AxeAsync()).Should().BeEmpty("the Errors tab has no serious accessibility violation");
        await owner.ScreenshotAsync("errors");
        await issue.Locator("a").ClickAsync();
        await Assertions.Expect(tab.Locator(".stack").First).ToContainTextAsync("at loadOrder (");
        await Assertions.Expect(tab.Locator(".stack").First).ToContainTextAsync("server.js:");
        var detail = tab.Url;
        (await owner.AxeAsync()).Should().BeEmpty("an error's page has no serious accessibility violation");
        await owner.ScreenshotAsync("error");

        await tab.FocusAsync("#resolve");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToContainTextAsync("is resolved");
        await Assertions.Expect(tab.Locator("#issue-status")).ToHaveTextAsync("resolved");
        await Assertions.Expect(tab.Locator("#reopen")).ToHaveCountAsync(1);
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("an error's page fits a 375 px screen");
        await owner.ScreenshotAsync("error-375");

        await using var viewer = await site.LoginAsync("vic");
        await viewer.Page.GotoAsync(detail);
        await Assertions.Expect(viewer.Page.Locator(".stack").First).ToContainTextAsync("at loadOrder (");
        (await viewer.Page.Locator("#issue button").CountAsync()).Should().Be(0, "a viewer may not triage, so no button is rendered");
        var id = detail[(detail.LastIndexOf('/') + 1)..];
        var csrf = await viewer.Page.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        using (var direct = new HttpClient())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{site.Platform.EdgePort}/v1/apps/shop/errors/{id}/reopen");
            request.Headers.Host = $"slipway.localhost:{site.Platform.EdgePort}";
            request.Headers.Add("Cookie", await viewer.CookieHeaderAsync(site.Url));
            request.Headers.Add("X-CSRF-Token", csrf);
            using var forced = await direct.SendAsync(request);
            forced.StatusCode.Should().Be(HttpStatusCode.Forbidden, await forced.Content.ReadAsStringAsync());
        }
        owner.CspViolations.Should().BeEmpty();
        owner.Errors.Should().BeEmpty();
        viewer.Errors.Should().BeEmpty();
    }

    private static long Number(string? text) =>
        long.Parse(Regex.Match(text ?? "", "[0-9][0-9,]*").Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    /// <summary>One platform for the class: users olga (owner) and vic (viewer), app shop with a route of its own, the
    /// requests sent, the error reported, an uptime check of a closed port (an alert fires in about a second), and the
    /// browser.</summary>
    public sealed class Site : IAsyncLifetime
    {
        public const int Home = 200, ApiCalls = 60, Failed = 40, Booms = 2;

        /// <summary>Every request the fixture sent through the edge to shop (the 5xx among them: <see cref="Failed"/>).</summary>
        public const int Sent = Home + ApiCalls + Failed;

        private Browser? _browser;

        internal TestPlatform Platform { get; private set; } = null!;

        public string Url => $"http://slipway.localhost:{Platform.EdgePort}";

        public async Task InitializeAsync()
        {
            Platform = await TestPlatform.StartAsync(configure: o => o with
            {
                UptimeMinInterval = TimeSpan.FromMilliseconds(100),
                UptimeTick = TimeSpan.FromMilliseconds(25),
                UptimeReconcile = TimeSpan.FromMilliseconds(200),
                AlertInterval = TimeSpan.FromMilliseconds(200),
            });
            await Platform.AddUserAsync("olga", null);
            await Platform.AddUserAsync("vic", "viewer");
            var deployed = await Platform.DeployAsync(App(), "shop");
            deployed.ExitCode.Should().Be(0, deployed.ToString());
            var closed = Ports.Free();
            var check = await Platform.CliAsync("uptime", "add", $"http://127.0.0.1:{closed}/", "--name", "refused", "--every", "200ms");
            check.ExitCode.Should().Be(0, check.ToString());

            // The traffic, 4 at a time; then the two errors the app reports (500s too, counted in Failed).
            var paths = Enumerable.Repeat("/", Home).Concat(Enumerable.Range(0, ApiCalls).Select(i => $"/api/orders/{i}"))
                .Concat(Enumerable.Repeat("/fail", Failed - Booms)).Concat(Enumerable.Range(0, Booms).Select(i => $"/boom?order={41 + i}")).ToList();
            await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (path, token) =>
            {
                using var answer = await Platform.GetAsync("shop", path);
                var expected = path is "/fail" || path.StartsWith("/boom", StringComparison.Ordinal) ? HttpStatusCode.InternalServerError : HttpStatusCode.OK;
                answer.StatusCode.Should().Be(expected, path);
            });
            _browser = await Browser.LaunchAsync();
        }

        /// <summary>A fresh profile signed in as <paramref name="user"/> through the login form, on the overview.</summary>
        internal async Task<BrowserPage> LoginAsync(string user)
        {
            var page = await _browser!.OpenAsync();
            await page.Page.GotoAsync(Url + "/login");
            await page.Page.FillAsync("#name", user);
            await page.Page.FillAsync("#password", $"correct horse {user} battery");
            await page.Page.ClickAsync("button[type=submit]");
            await page.Page.WaitForURLAsync(Url + "/");
            return page;
        }

        public async Task DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }
            if (Platform is not null)
            {
                await Platform.DisposeAsync();
            }
        }

        /// <summary>A dependency-free Node app: / and /api/... answer 200 (the rewrite makes /api/:rest* a route of its own),
        /// /fail answers 500, /boom throws and reports the error with its stack to the SENTRY_DSN the platform gave it
        /// (a Sentry envelope over plain HTTP, as an SDK sends it) before answering 500.</summary>
        private static string App()
        {
            var dir = TempDirs.Create("metrics-app");
            File.WriteAllText(Path.Combine(dir, "server.js"), """
                const http = require('http');
                const crypto = require('crypto');

                function loadOrder(id) {
                  const orders = {};
                  if (!orders[id]) {
                    throw new TypeError(`Cannot read order ${id}: it does not exist`);
                  }
                  return orders[id];
                }

                function report(error, req, done) {
                  const dsn = new URL(process.env.SENTRY_DSN);
                  const frames = error.stack.split('\n').slice(1)
                    .map((line) => /at (?:(\S+) \()?(.*?):(\d+):(\d+)\)?$/.exec(line.trim())).filter(Boolean)
                    .map((m) => ({ function: m[1] || '?', filename: m[2], lineno: +m[3], colno: +m[4], in_app: !m[2].startsWith('node:') }))
                    .reverse();
                  const id = crypto.randomUUID().replace(/-/g, '');
                  const event = {
                    event_id: id, level: 'error', platform: 'node', release: process.env.SENTRY_RELEASE, environment: process.env.SENTRY_ENVIRONMENT,
                    exception: { values: [{ type: error.name, value: error.message, stacktrace: { frames } }] },
                    request: { method: req.method, url: `http://${req.headers.host}${req.url}` },
                  };
                  const body = [JSON.stringify({ event_id: id }), JSON.stringify({ type: 'event' }), JSON.stringify(event)].join('\n') + '\n';
                  const send = http.request({
                    host: dsn.hostname, port: dsn.port, method: 'POST', path: `/api${dsn.pathname}/envelope/`,
                    headers: { 'X-Sentry-Auth': `Sentry sentry_version=7, sentry_client=slipway-tests/1.0, sentry_key=${dsn.username}` },
                  }, (res) => { res.resume(); res.on('end', done); });
                  send.on('error', done);
                  send.end(body);
                }

                const server = http.createServer((req, res) => {
                  if (req.url === '/fail') { res.statusCode = 500; res.end('failed'); return; }
                  if (req.url.startsWith('/boom')) {
                    try {
                      loadOrder(new URL(req.url, 'http://x').searchParams.get('order'));
                    } catch (error) {
                      report(error, req, () => { res.statusCode = 500; res.end('boom'); });
                    }
                    return;
                  }
                  res.setHeader('Content-Type', req.url.startsWith('/api/') ? 'application/json' : 'text/plain');
                  res.end(req.url.startsWith('/api/') ? '{"ok":true}' : 'ok');
                });
                server.listen(process.env.PORT, process.env.HOST);
                process.on('SIGTERM', () => server.close(() => process.exit(0)));
                """);
            File.WriteAllText(Path.Combine(dir, "slipway.json"), """
                { "services": { "web": { "start": "node server.js" } },
                  "routes": { "rewrites": [{ "source": "/api/:rest*", "destination": "/api/:rest*" }] } }
                """);
            return dir;
        }
    }
}
