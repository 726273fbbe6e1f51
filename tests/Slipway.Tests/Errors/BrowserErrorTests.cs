using System.Text.Json;
using Microsoft.Playwright;
using Slipway.Tests.Support;

namespace Slipway.Tests.Errors;

/// <summary>A static SPA built by Vite with the real @sentry/browser throws in headless Chromium: the event comes
/// through the app's own host (the tunnel), and `errors show` prints the stack at its original source, from the hidden
/// maps of the build that served it, which the edge never serves.</summary>
[Collection("platform-2")]
public sealed class BrowserErrorTests
{
    private static readonly string AppSource = Path.Combine(TestApps.RepoRoot, "tests", "Slipway.Tests", "Errors", "BrowserApp");

    [Fact]
    public async Task A_vite_bundles_error_in_chromium_shows_the_original_file_line_and_function_and_no_map_is_served()
    {
        await using var platform = await TestPlatform.StartAsync();
        var dir = TempDirs.Create("browser-app");
        CopyTree(AppSource, dir);
        var deployed = await platform.DeployAsync(dir, "shop");
        deployed.ExitCode.Should().Be(0, deployed.ToString());
        deployed.Out.Should().Contain("Vite builds hidden source maps").And.Contain("errors: kept 1 source map");

        // What the edge serves: the bundle, without a map or a comment pointing at one.
        using var page = await platform.GetAsync("shop", "/");
        var html = await page.Content.ReadAsStringAsync();
        var bundle = System.Text.RegularExpressions.Regex.Match(html, "/assets/index-[^\"]+\\.js").Value;
        bundle.Should().NotBeEmpty(html);
        using (var js = await platform.GetAsync("shop", bundle))
        {
            (await js.Content.ReadAsStringAsync()).Should().NotContain("sourceMappingURL");
        }
        using (var map = await platform.GetAsync("shop", bundle + ".map"))
        {
            (await map.Content.ReadAsStringAsync()).Should().NotContain("\"mappings\"", "a build's source map is never served");
        }

        await using var browser = await Browser.LaunchAsync();
        await using var opened = await browser.OpenAsync();
        var tab = opened.Page;
        await tab.GotoAsync($"http://shop.localhost:{platform.EdgePort}/");
        await Assertions.Expect(tab.Locator("#state")).ToHaveTextAsync("ready");
        var sent = tab.WaitForResponseAsync(r => r.Url.Contains("/_slipway/errors", StringComparison.Ordinal));
        await tab.ClickAsync("#buy");
        (await sent).Status.Should().Be(200, "the SDK sent the event through the app's own host");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement issue;
        while (true)
        {
            var list = JsonDocument.Parse((await platform.CliAsync("errors", "ls", "--app", "shop", "--json")).Out).RootElement;
            if (list.GetArrayLength() > 0)
            {
                issue = list[0].Clone();
                break;
            }
            DateTime.UtcNow.Should().BeBefore(deadline, "the browser's error arrives within 20 s");
            await Task.Delay(200);
        }
        issue.GetProperty("title").GetString().Should().StartWith("TypeError");
        issue.GetProperty("culprit").GetString().Should().StartWith("checkout (src/checkout.js:2:",
            "the issue is named and grouped by the original source: a minified name changes with every build");

        var shown = await platform.CliAsync("errors", "show", issue.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "--app", "shop");
        shown.ExitCode.Should().Be(0, shown.ToString());
        shown.Out.Should().Contain("at checkout (src/checkout.js:2:", "the throwing frame is shown in the original source, named as it was called");
        shown.Out.Should().Contain("const total = cart.items.reduce((sum, item) => sum + item.price, 0);");
        shown.Out.Should().Contain("(src/main.js:13:", "the click handler's frame, too");
        shown.Out.Should().MatchRegex(@"\[from [^\]]*assets/index-[^\]]+\.js:\d+:\d+\]", "each frame says where in the bundle it was");
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("node_modules", StringComparison.Ordinal) || relative.StartsWith("dist", StringComparison.Ordinal))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }
}
