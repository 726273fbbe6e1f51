using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using Slipway.Tests.Git;
using Slipway.Tests.Support;
using Xunit.Abstractions;

namespace Slipway.Tests.Dashboard;

/// <summary>Two tabs of an app environment in the machine's Chromium, through the edge. Domains: the owner adds a domain
/// with the form, the edge routes it to the app at once (its certificate is whatever this platform without HTTPS says:
/// none), and removes it with its button (after the confirmation); a viewer sees neither form nor button, and the API
/// refuses it the request made anyway. Previews: a fork's pull request delivered by the forge's webhook waits for
/// approval; the owner sees it with its Approve button and removes it; the viewer sees it without buttons.</summary>
[Collection("platform-2")]
public sealed class DomainsAndPreviewsPagesTests(ITestOutputHelper output)
{
    private const string Domain = "shop.example.test";

    [Fact]
    public async Task An_owner_adds_and_removes_a_domain_and_a_preview_and_a_viewer_cannot()
    {
        await using var platform = await TestPlatform.StartAsync();
        await platform.AddUserAsync("olga", null);
        await platform.AddUserAsync("vic", "viewer");
        (await platform.CliAsync("env", "set", "--app", "shop", "--create", "--no-deploy", "VERSION_TAG=one")).ExitCode.Should().Be(0);
        var deployed = await platform.DeployAsync(EnvApp.Create(), "shop");
        deployed.ExitCode.Should().Be(0, deployed.ToString());
        // A fork's pull request: its preview waits for a deployer's approval, so nothing is fetched or deployed yet.
        (await platform.CliAsync("git", "create", "shop")).ExitCode.Should().Be(0);
        var connect = await platform.CliAsync("git", "connect", "shop", "--forge", "github", "--repo", "https://github.com/acme/shop.git", "--json");
        connect.ExitCode.Should().Be(0, connect.ToString());
        (await platform.CliAsync("git", "previews", "shop", "--on")).ExitCode.Should().Be(0);
        var head = new string('a', 40);
        var fork = await GitPreviewTests.DeliverAsync(platform, JsonDocument.Parse(connect.Out).RootElement.GetProperty("secret").GetString()!,
            GitPreviewTests.PullRequest("opened", 8, head, fromFork: true, cloneUrl: "https://github.com/fork/shop.git"), "fork-8");
        fork.Body.Should().Contain("waits for a deployer");

        var site = $"http://slipway.localhost:{platform.EdgePort}";
        await using var browser = await Browser.LaunchAsync();
        await using var owner = await browser.OpenAsync();
        var tab = owner.Page;
        await TeamPagesTests.LogInAsync(tab, site, "/apps/shop", "olga");
        await tab.ClickAsync("nav.tabs a[href='/apps/shop/domains']");
        await tab.WaitForURLAsync(site + "/apps/shop/domains");
        await Assertions.Expect(tab.Locator("#domains")).ToContainTextAsync("No custom domain");
        var asked = new List<string>();
        tab.Dialog += async (_, dialog) =>
        {
            asked.Add(dialog.Message);
            await dialog.AcceptAsync();
        };

        // Add a domain by keyboard: Enter in the field sends the form.
        await tab.FillAsync("#domain-host", Domain);
        await tab.FillAsync("#domain-redirects", "www." + Domain);
        await tab.FocusAsync("#domain-host");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync($"{Domain} now routes to shop; its certificate follows in the background.");
        var row = tab.Locator("#domain-shop_example_test");
        await Assertions.Expect(row).ToContainTextAsync("no HTTPS");
        await Assertions.Expect(row).ToContainTextAsync("www." + Domain);
        (await row.Locator("#renew-shop_example_test").CountAsync()).Should().Be(0, "without HTTPS the API orders no certificate");
        (await VersionAtAsync(platform, Domain)).Should().Be("one", "the edge routes the domain to the app at once");
        (await VersionAtAsync(platform, "www." + Domain)).Should().Be("status 308", "the other name redirects to it");
        (await owner.AxeAsync()).Should().BeEmpty("the Domains tab has no serious accessibility violation");
        output.WriteLine("screenshots: " + await owner.ScreenshotAsync("domains"));

        // The viewer: the domain without form or buttons, and the API's refusal of the request made anyway.
        await using var viewer = await browser.OpenAsync(375, 800);
        await TeamPagesTests.LogInAsync(viewer.Page, site, "/apps/shop/domains", "vic");
        await Assertions.Expect(viewer.Page.Locator("#domains")).ToContainTextAsync(Domain);
        (await viewer.Page.Locator("#add-domain").CountAsync()).Should().Be(0, "a viewer may not add a domain");
        (await viewer.Page.Locator("#domains button.danger").CountAsync()).Should().Be(0, "nor remove one");
        (await viewer.ScrollsSidewaysAsync()).Should().BeFalse("the Domains tab fits a 375 px screen");
        await viewer.ScreenshotAsync("domains-375-viewer");
        var refused = await TeamPagesTests.SendAsync(platform, viewer, site, HttpMethod.Delete, "/v1/domains/" + Domain);
        refused.Status.Should().Be(HttpStatusCode.Forbidden, refused.Body);
        refused.Body.Should().Contain("vic is viewer");

        await tab.ClickAsync("#remove-shop_example_test");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync($"Removed {Domain}.");
        await Assertions.Expect(tab.Locator("#domains")).ToContainTextAsync("No custom domain");
        asked.Should().ContainSingle().Which.Should().StartWith($"Remove {Domain}?");
        (await VersionAtAsync(platform, Domain)).Should().NotBe("one", "the edge no longer routes it");

        // Previews: the fork's pull request waits for approval; the owner may approve or remove it, the viewer neither.
        await tab.ClickAsync("nav.tabs a[href='/apps/shop/previews']");
        await tab.WaitForURLAsync(site + "/apps/shop/previews");
        var preview = tab.Locator("#preview-8");
        await Assertions.Expect(preview).ToContainTextAsync("awaiting approval");
        await Assertions.Expect(preview).ToContainTextAsync(head[..12]);
        await Assertions.Expect(preview.Locator("#approve-8")).ToBeVisibleAsync();
        (await owner.AxeAsync()).Should().BeEmpty("the Previews tab has no serious accessibility violation");
        await owner.ScreenshotAsync("previews");
        await viewer.Page.GotoAsync(site + "/apps/shop/previews");
        await Assertions.Expect(viewer.Page.Locator("#preview-8")).ToContainTextAsync("awaiting approval");
        (await viewer.Page.Locator("#previews button").CountAsync()).Should().Be(0, "a viewer may neither approve nor remove a preview");
        (await viewer.ScrollsSidewaysAsync()).Should().BeFalse("the Previews tab fits a 375 px screen");
        await viewer.ScreenshotAsync("previews-375-viewer");
        (await TeamPagesTests.SendAsync(platform, viewer, site, HttpMethod.Delete, "/v1/git/shop/previews/8")).Status.Should().Be(HttpStatusCode.Forbidden);

        await tab.FocusAsync("#remove-preview-8");
        await tab.Keyboard.PressAsync("Enter");
        await Assertions.Expect(tab.Locator("#notice")).ToHaveTextAsync("Removed the preview of #8.");
        await Assertions.Expect(tab.Locator("#previews")).ToContainTextAsync("No previews.");
        (await platform.CliAsync("previews", "ls", "--app", "shop")).Out.Should().Contain("No previews");

        foreach (var profile in new[] { owner, viewer })
        {
            profile.CspViolations.Should().BeEmpty();
            profile.Errors.Should().BeEmpty("no page logs an error");
        }
    }

    /// <summary>The app's version as the edge answers <paramref name="host"/>, or the status when it does not answer 200.</summary>
    private static async Task<string> VersionAtAsync(TestPlatform platform, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{platform.EdgePort}/");
        request.Headers.Host = host;
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
        using var response = await client.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK && response.Headers.TryGetValues("X-App-Version", out var v) ? v.First() : $"status {(int)response.StatusCode}";
    }
}
