using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>The dashboard in the machine's Chromium, through the edge at slipway.localhost as a user reaches it: an
/// anonymous visit goes to the login form; the owner logs in with it, sees the app the test deployed twice, and rolls it
/// back with the button (after the confirmation), which the edge then serves; a viewer sees no button, and the API
/// refuses the viewer's request made anyway. Every page carries the strict CSP and violates nothing of it, logs no
/// error, has no serious accessibility violation (axe-core) and fits a 375 px screen.</summary>
[Collection("platform-3")]
public sealed class DashboardTests(ITestOutputHelper output)
{
    private const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    [Fact]
    public async Task An_owner_logs_in_sees_the_app_and_rolls_it_back_and_a_viewer_cannot()
    {
        await using var platform = await TestPlatform.StartAsync();
        await platform.AddUserAsync("olga", null);
        await platform.AddUserAsync("vic", "viewer");
        var app = EnvApp.Create();
        foreach (var version in (string[])["one", "two"])
        {
            var set = await platform.CliAsync(["env", "set", "--app", "shop", "--no-deploy", $"VERSION_TAG={version}", .. version == "one" ? (string[])["--create"] : []]);
            set.ExitCode.Should().Be(0, set.ToString());
            var deployed = await platform.DeployAsync(app, "shop");
            deployed.ExitCode.Should().Be(0, deployed.ToString());
        }
        (await platform.VersionAsync("shop")).Should().Be("two");
        var first = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "shop", "--json")).Out).RootElement.EnumerateArray()
            .Single(d => d.GetProperty("number").GetInt64() == 1).GetProperty("id").GetString()!;

        var site = $"http://slipway.localhost:{platform.EdgePort}";
        using (var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/apps/shop");
            request.Headers.Host = $"slipway.localhost:{platform.EdgePort}";
            using var answer = await anonymous.SendAsync(request);
            answer.StatusCode.Should().Be(HttpStatusCode.Found, "a page sends a browser to the login form, not a JSON 401");
            answer.Headers.Location!.ToString().Should().Be("/login?next=%2Fapps%2Fshop");
        }

        await using var browser = await Browser.LaunchAsync();
        await using var owner = await browser.OpenAsync();
        var tab = owner.Page;
        var login = await tab.GotoAsync(site + "/");
        tab.Url.Should().Be(site + "/login?next=%2F");
        login!.Headers["content-security-policy"].Should().Be(Csp);
        (await owner.AxeAsync()).Should().BeEmpty("the login form has no serious accessibility violation");
        output.WriteLine("screenshots: " + await owner.ScreenshotAsync("login"));

        await tab.FillAsync("#name", "olga");
        await tab.FillAsync("#password", "wrong horse");
        await tab.ClickAsync("button[type=submit]");
        await Assertions.Expect(tab.Locator("#login-error")).ToContainTextAsync("password");
        await tab.FillAsync("#password", "correct horse olga battery");
        await tab.ClickAsync("button[type=submit]");
        await tab.WaitForURLAsync(site + "/");
        var overview = tab.Locator("#overview");
        await Assertions.Expect(overview).ToContainTextAsync("shop");
        await Assertions.Expect(overview).ToContainTextAsync($"http://shop.localhost:{platform.EdgePort}");
        await Assertions.Expect(overview).ToContainTextAsync("#2");
        await Assertions.Expect(overview.Locator(".badge").First).ToHaveTextAsync("running");
        (await owner.AxeAsync()).Should().BeEmpty("the overview has no serious accessibility violation");
        await tab.Keyboard.PressAsync("Tab");
        (await tab.EvaluateAsync<string>("() => document.activeElement.textContent")).Should().Be("Skip to the content", "the first Tab reaches the skip link");
        await owner.ScreenshotAsync("overview");

        await tab.ClickAsync("#overview a[href='/apps/shop']");
        await tab.WaitForURLAsync(site + "/apps/shop");
        var asked = "";
        tab.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.AcceptAsync();
        };
        // By keyboard: Tab reaches the button, which shows its focus, and Enter presses it.
        for (var presses = 0; await tab.EvaluateAsync<string>("() => document.activeElement.id") != $"rollback-{first}"; presses++)
        {
            presses.Should().BeLessThan(40, "Tab reaches the rollback button");
            await tab.Keyboard.PressAsync("Tab");
        }
        (await tab.EvaluateAsync<string>("() => getComputedStyle(document.activeElement).outlineStyle")).Should().NotBe("none", "focus is visible");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Rolling back to #1.");
        asked.Should().StartWith("Roll shop back to deployment #1?");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await platform.VersionAsync("shop") != "one")
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the rollback goes live within 30 s");
            await Task.Delay(200);
        }
        await Assertions.Expect(tab.Locator("#deployments li").First).ToContainTextAsync("rollback to #1", new() { Timeout = 15_000 });
        await Assertions.Expect(tab.Locator("#deployments li").First).ToContainTextAsync("live", new() { Timeout = 15_000 });
        (await owner.AxeAsync()).Should().BeEmpty("the app's page has no serious accessibility violation");
        await owner.ScreenshotAsync("app");

        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the app's page fits a 375 px screen");
        await owner.ScreenshotAsync("app-375");
        await tab.GotoAsync(site + "/");
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the overview fits a 375 px screen");
        await owner.ScreenshotAsync("overview-375");

        // The viewer: no button, and the API's own answer to the request made anyway.
        await using var viewer = await browser.OpenAsync(375, 800);
        await viewer.Page.GotoAsync(site + "/apps/shop");
        (await viewer.ScrollsSidewaysAsync()).Should().BeFalse("the login form fits a 375 px screen");
        await viewer.Page.FillAsync("#name", "vic");
        await viewer.Page.FillAsync("#password", "correct horse vic battery");
        await viewer.Page.ClickAsync("button[type=submit]");
        await viewer.Page.WaitForURLAsync(site + "/apps/shop");
        await Assertions.Expect(viewer.Page.Locator("#deployments")).ToContainTextAsync("#3");
        (await viewer.Page.Locator("#deployments button").CountAsync()).Should().Be(0, "a viewer may not roll back, so no button is rendered");
        var csrf = await viewer.Page.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        csrf.Should().NotBeNullOrEmpty();
        using (var direct = new HttpClient())
        {
            // As a script would, with the viewer's cookie and token (outside the page: its 403 would be a console error).
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{platform.EdgePort}/v1/apps/shop/rollback")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { to = first }),
            };
            request.Headers.Host = $"slipway.localhost:{platform.EdgePort}";
            request.Headers.Add("Cookie", await viewer.CookieHeaderAsync(site));
            request.Headers.Add("X-CSRF-Token", csrf);
            using var forced = await direct.SendAsync(request);
            var refusal = await forced.Content.ReadAsStringAsync();
            forced.StatusCode.Should().Be(HttpStatusCode.Forbidden, refusal);
            refusal.Should().Contain("vic is viewer");
        }

        // A secret is revealed to a browser only after the password again (the config page's Reveal): the GETs that reveal
        // refuse the login cookie, even the owner's, since an address typed or linked needs no CSRF token.
        using (var direct = new HttpClient())
        {
            foreach (var path in (string[])["/v1/apps/shop/config?reveal=true", "/v1/apps/shop/config/VERSION_TAG?reveal=true"])
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}{path}");
                request.Headers.Host = $"slipway.localhost:{platform.EdgePort}";
                request.Headers.Add("Cookie", await owner.CookieHeaderAsync(site));
                using var revealed = await direct.SendAsync(request);
                var body = await revealed.Content.ReadAsStringAsync();
                revealed.StatusCode.Should().Be(HttpStatusCode.Forbidden, body);
                body.Should().Contain("Reveal on the app's Config page");
            }
        }
        var cli = await platform.CliAsync("env", "get", "VERSION_TAG", "--app", "shop", "--reveal");
        cli.ExitCode.Should().Be(0, "the CLI still reveals: " + cli);

        // A page that cannot be shown is a page saying why, not JSON: an app that does not exist.
        var missing = await viewer.Page.GotoAsync(site + "/apps/nope");
        missing!.Status.Should().Be(404);
        missing.Headers["content-security-policy"].Should().Be(Csp);
        await Assertions.Expect(viewer.Page.Locator("main h2")).ToHaveTextAsync("404 Not found");
        await Assertions.Expect(viewer.Page.Locator("main")).ToContainTextAsync("nope");
        (await viewer.AxeAsync()).Should().BeEmpty("the error page has no serious accessibility violation");

        // A session that ends while a page is open (logged out elsewhere): its next refresh sends it to the login form,
        // and back to the page after it.
        await viewer.Page.GotoAsync(site + "/apps/shop");
        await viewer.Page.EvaluateAsync("""
            () => fetch('/v1/logout', { method: 'POST', headers: { 'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content } })
            """);
        // A refresh already under way when the event comes (the page's own 10 s one) makes htmx drop the new one: ask
        // again until one goes out after the logout.
        for (var attempt = 1; ; attempt++)
        {
            await viewer.Page.EvaluateAsync("() => htmx.trigger(document.body, 'slipway:changed')");
            try
            {
                await viewer.Page.WaitForURLAsync(site + "/login?next=%2Fapps%2Fshop", new() { Timeout = 5_000 });
                break;
            }
            catch (TimeoutException) when (attempt < 6)
            {
            }
        }

        // Logging out ends the session: the next page is the login form again.
        await tab.ClickAsync("#logout");
        await tab.WaitForURLAsync(site + "/login");
        await tab.GotoAsync(site + "/");
        tab.Url.Should().Be(site + "/login?next=%2F");

        owner.CspViolations.Should().BeEmpty();
        viewer.CspViolations.Should().BeEmpty();
        // Chromium logs the wrong password's 401 as a failed load; it is the only error of either profile.
        owner.Errors.Should().ContainSingle("no page logs an error").Which.Should().Contain("/v1/login").And.Contain("status of 401");
        // The viewer's: the missing app's page (404) and the refresh after the session ended (401), nothing else.
        viewer.Errors.Should().HaveCount(2, "no page logs an error but the two provoked: " + string.Join(" | ", viewer.Errors));
        viewer.Errors.Should().Contain(e => e.Contains("status of 404")).And.Contain(e => e.Contains("status of 401"));
    }
}
