using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>The deployments tab and a deployment's own page in the machine's Chromium, through the edge: the owner sees who
/// asked for each deployment and the instances with their CPU and memory, redeploys by keyboard and watches the new
/// deployment's log stream while its build runs (a line before it ends, then its final status), cancels another one,
/// and destroys the app after typing its name (a wrong name keeps the button disabled); the CLI's `deployments` and
/// `redeploy` say the same, including the 409 for a source no longer kept; a viewer sees none of the buttons and the
/// API refuses the viewer's requests made anyway.</summary>
[Collection("platform")]
public sealed class DeploymentPagesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_owner_redeploys_watches_the_log_cancels_and_destroys_and_a_viewer_cannot()
    {
        // keepBuilds 1: once the redeploy is live, the first build (and the source kept with it) is pruned.
        await using var platform = await TestPlatform.StartAsync(keepBuilds: 1);
        await platform.AddUserAsync("olga", null);
        await platform.AddUserAsync("vic", "viewer");
        // The build prints, waits $PAUSE seconds (none for the first deploy), prints again: the page must see the first
        // line while the deployment still runs.
        var source = EnvApp.Create(build: "echo step one; sleep ${PAUSE:-0}; echo step two");
        var deployed = await platform.DeployAsync(source, "shop");
        deployed.ExitCode.Should().Be(0, deployed.ToString());
        var first = JsonDocument.Parse((await platform.CliAsync("deployments", "--app", "shop", "--json")).Out).RootElement[0];
        var cliUser = first.GetProperty("requestedBy").GetString()!;
        cliUser.Should().StartWith("local:", "a deploy through the server's socket is the local user's");
        (await platform.CliAsync("env", "set", "--app", "shop", "--no-deploy", "PAUSE=4")).ExitCode.Should().Be(0);

        var site = $"http://slipway.localhost:{platform.EdgePort}";
        await using var browser = await Browser.LaunchAsync();
        await using var owner = await browser.OpenAsync();
        var tab = owner.Page;
        var asked = new List<string>();
        tab.Dialog += async (_, dialog) =>
        {
            asked.Add(dialog.Message);
            await dialog.AcceptAsync();
        };
        await LogInAsync(tab, site + "/apps/shop", "olga");
        var rows = tab.Locator("#deployments li");
        await Assertions.Expect(rows.First).ToContainTextAsync("#1");
        await Assertions.Expect(rows.First).ToContainTextAsync("by " + cliUser);
        await Assertions.Expect(tab.Locator("#instances li")).ToHaveCountAsync(2);
        await Assertions.Expect(tab.Locator("#instances li").First).ToContainTextAsync("Memory");
        await Assertions.Expect(tab.Locator("#instances li").First).ToContainTextAsync("healthy");
        (await owner.AxeAsync()).Should().BeEmpty("the deployments tab has no serious accessibility violation");
        await owner.ScreenshotAsync("deployments");

        // Redeploy by keyboard (after the confirmation), then follow the new deployment to its page.
        await tab.FocusAsync("#redeploy");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Redeploying the source of #1.");
        asked.Should().ContainSingle().Which.Should().StartWith("Redeploy shop?");
        await Assertions.Expect(rows.First).ToContainTextAsync("#2");
        await rows.First.Locator("a").First.ClickAsync();
        await tab.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/apps/shop/deployments/d-"));
        var log = tab.Locator("#deploy-log");
        var status = tab.Locator("#log-status");
        await Assertions.Expect(log).ToContainTextAsync("[web] step one", new() { Timeout = 15_000 });
        (await status.TextContentAsync()).Should().NotContain("Final status", "the first line arrives while the build still waits");
        (await log.TextContentAsync()).Should().NotContain("[web] step two");
        (await log.GetAttributeAsync("role")).Should().Be("log");
        await Assertions.Expect(tab.Locator("#deployment")).ToContainTextAsync("olga");
        await Assertions.Expect(status).ToContainTextAsync("Final status: live", new() { Timeout = 30_000 });
        await Assertions.Expect(log).ToContainTextAsync("[web] step two");
        await Assertions.Expect(log).ToContainTextAsync($"==> live at http://shop.localhost:{platform.EdgePort}");
        await Assertions.Expect(tab.Locator("#deployment .badge")).ToHaveTextAsync("live", new() { Timeout = 10_000 });
        (await owner.AxeAsync()).Should().BeEmpty("a deployment's page has no serious accessibility violation");
        await owner.ScreenshotAsync("deployment");
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("a deployment's page fits a 375 px screen");
        await owner.ScreenshotAsync("deployment-375");
        await tab.SetViewportSizeAsync(1280, 800);
        var redeployed = tab.Url;

        // The CLI: who asked, and the first deployment's source is no longer kept (keepBuilds 1), so redeploying it is a 409.
        var history = await platform.CliAsync("deployments", "--app", "shop");
        history.Out.Should().Contain("olga").And.Contain(cliUser);
        var gone = await platform.CliAsync("redeploy", "--app", "shop", "--from", "1");
        gone.ExitCode.Should().Be(1, gone.ToString());
        gone.Err.Should().Contain("The source of deployment #1").And.Contain("is no longer kept").And.Contain("slipway deploy DIR --app shop");

        // #1's build is pruned: the rollback API would refuse it, so no button offers it.
        await tab.GotoAsync(site + "/apps/shop");
        await Assertions.Expect(rows.First).ToContainTextAsync("#2");
        await Assertions.Expect(rows.Nth(1)).ToContainTextAsync("#1");
        (await rows.Locator("button[id^='rollback-']").CountAsync()).Should().Be(0, "the only earlier deployment's build is no longer kept");

        // Cancel a running one from the deployments tab.
        await tab.ClickAsync("#redeploy");
        await Assertions.Expect(rows.First).ToContainTextAsync("#3");
        await rows.First.Locator("button[id^='cancel-']").ClickAsync();
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Cancelling #3.");
        asked.Last().Should().StartWith("Cancel deployment #3 of shop");
        await Assertions.Expect(rows.First.Locator(".badge")).ToHaveTextAsync("cancelled", new() { Timeout = 15_000 });
        (await rows.Locator("button[id^='cancel-']").CountAsync()).Should().Be(0, "nothing runs any more");
        await tab.SetViewportSizeAsync(375, 800);
        (await owner.ScrollsSidewaysAsync()).Should().BeFalse("the deployments tab fits a 375 px screen");
        await owner.ScreenshotAsync("deployments-375");
        await tab.SetViewportSizeAsync(1280, 800);

        // The viewer: the same pages without a button, and the API's own refusals.
        await using var viewer = await browser.OpenAsync(375, 800);
        await LogInAsync(viewer.Page, site + "/apps/shop", "vic");
        await Assertions.Expect(viewer.Page.Locator("#deployments")).ToContainTextAsync("#3");
        (await viewer.Page.Locator("main button").CountAsync()).Should().Be(0, "a viewer may not redeploy, roll back, cancel or destroy");
        await viewer.Page.GotoAsync(redeployed);
        await Assertions.Expect(viewer.Page.Locator("#log-status")).ToContainTextAsync("Final status: live", new() { Timeout = 15_000 });
        (await viewer.Page.Locator("main button:visible").CountAsync()).Should().Be(0, "no cancel or redeploy for a viewer");
        var csrf = await viewer.Page.Locator("meta[name=csrf-token]").GetAttributeAsync("content");
        foreach (var (method, path) in new[] { (HttpMethod.Post, "/v1/apps/shop/redeploy"), (HttpMethod.Post, "/v1/apps/shop/cancel"), (HttpMethod.Get, "/v1/apps/shop/destroy-plan") })
        {
            using var direct = new HttpClient();
            using var request = new HttpRequestMessage(method, $"http://127.0.0.1:{platform.EdgePort}{path}");
            if (method == HttpMethod.Post)
            {
                request.Content = System.Net.Http.Json.JsonContent.Create(new { });
            }
            request.Headers.Host = $"slipway.localhost:{platform.EdgePort}";
            request.Headers.Add("Cookie", await viewer.CookieHeaderAsync(site));
            request.Headers.Add("X-CSRF-Token", csrf);
            using var refused = await direct.SendAsync(request);
            var body = await refused.Content.ReadAsStringAsync();
            refused.StatusCode.Should().Be(HttpStatusCode.Forbidden, $"{method} {path}: {body}");
            body.Should().Contain("vic is viewer");
        }

        // Destroy: the plan, the name typed exactly, then the overview without the app.
        await tab.ClickAsync("#destroy-open");
        var dialog = tab.Locator("#destroy-dialog");
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("3 deployments");
        await Assertions.Expect(dialog).ToContainTextAsync($"shop.localhost");
        var confirm = tab.Locator("#destroy-confirm");
        foreach (var wrong in (string[])["sho", "Shop", "shop "])
        {
            await tab.FillAsync("#destroy-name", wrong);
            await Assertions.Expect(confirm).ToBeDisabledAsync();
        }
        (await owner.AxeAsync()).Should().BeEmpty("the destroy dialog has no serious accessibility violation");
        await owner.ScreenshotAsync("destroy");
        await tab.FillAsync("#destroy-name", "shop");
        await Assertions.Expect(confirm).ToBeEnabledAsync();
        await confirm.ClickAsync();
        await tab.WaitForURLAsync(site + "/", new() { Timeout = 30_000 });
        await Assertions.Expect(tab.Locator("#overview")).ToContainTextAsync("No app you may see yet");
        (await platform.CliAsync("apps", "--json")).Out.Should().NotContain("\"shop\"");

        owner.CspViolations.Should().BeEmpty();
        viewer.CspViolations.Should().BeEmpty();
        owner.Errors.Should().BeEmpty("no page logs an error");
        viewer.Errors.Should().BeEmpty("no page logs an error");
        output.WriteLine("screenshots: " + Browser.ScreenshotDir);
    }

    private static async Task LogInAsync(IPage page, string url, string user)
    {
        await page.GotoAsync(url);
        await page.FillAsync("#name", user);
        await page.FillAsync("#password", $"correct horse {user} battery");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url);
    }
}
