using Microsoft.Playwright;

namespace Slipway.Tests.Support;

/// <summary>The browser tests' one harness: the machine's Chromium (<see cref="Chromium"/>; no browser is downloaded)
/// driven by Playwright, headless, without Chromium's own sandbox (it needs user namespaces a test machine may not
/// give; the pages are our own). Each <see cref="OpenAsync"/> is a fresh profile (its own cookies) whose page records
/// console errors and CSP refusals, writes screenshots to <see cref="ScreenshotDir"/> and runs axe-core.
/// *.localhost resolves to this machine inside Chromium, so APP.localhost:EDGEPORT and slipway.localhost:EDGEPORT
/// reach a test platform's edge as they would a user's.</summary>
internal sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>artifacts/screenshots/ at the repository's root (ignored by git), for a person to look at after a run.</summary>
    public static string ScreenshotDir { get; } = Path.Combine(TestApps.RepoRoot, "artifacts", "screenshots");

    public static async Task<Browser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium.Path,
                Headless = true,
                Args = ["--no-sandbox"],
            });
            return new Browser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A new page in a profile of its own, <paramref name="width"/> CSS pixels wide.</summary>
    public async Task<BrowserPage> OpenAsync(int width = 1280, int height = 800)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        return new BrowserPage(context, await context.NewPageAsync());
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _browser.DisposeAsync();
        }
        finally
        {
            _playwright.Dispose();
        }
    }
}
