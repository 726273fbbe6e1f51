using System.Text.Json;
using Microsoft.Playwright;

namespace Slipway.Tests.Support;

/// <summary>A page of <see cref="Browser"/>, in its own profile, recording every console error (Chromium reports a
/// CSP refusal as one: "Refused to execute inline script because it violates the following Content Security Policy
/// directive...") and every uncaught exception.</summary>
internal sealed class BrowserPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    public BrowserPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console error at {message.Location}: {message.Text}");
            }
        };
        page.PageError += (_, error) => Record("uncaught: " + error);
    }

    public IPage Page { get; }

    /// <summary>Console errors and uncaught exceptions so far, CSP refusals among them.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>The CSP refusals among <see cref="Errors"/>.</summary>
    public IReadOnlyList<string> CspViolations => Errors.Where(e => e.Contains("Content Security Policy", StringComparison.Ordinal)).ToList();

    /// <summary>The whole page as a PNG in <see cref="Browser.ScreenshotDir"/>; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        Directory.CreateDirectory(Browser.ScreenshotDir);
        var path = Path.Combine(Browser.ScreenshotDir, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>axe-core's serious and critical violations of the page as it is now, one line each (rule, help, the
    /// elements), empty when there are none. Its source is evaluated through the DevTools protocol, which the page's
    /// CSP does not govern, so a strict page is checked as it is.</summary>
    public async Task<IReadOnlyList<string>> AxeAsync()
    {
        await Page.EvaluateAsync(await Axe.SourceAsync());
        var result = await Page.EvaluateAsync<JsonElement>("""
            async () => {
              const found = await axe.run(document, { resultTypes: ['violations'] });
              return found.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`);
            }
            """);
        return result.EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    /// <summary>Whether the page is wider than the viewport (so it scrolls sideways).</summary>
    public Task<bool> ScrollsSidewaysAsync() =>
        Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth > document.documentElement.clientWidth");

    /// <summary>The cookies of this page's profile as one Cookie header, for a request made outside the browser.</summary>
    public async Task<string> CookieHeaderAsync(string url) =>
        string.Join("; ", (await _context.CookiesAsync([url])).Select(c => $"{c.Name}={c.Value}"));

    private void Record(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }

    public async ValueTask DisposeAsync() => await _context.DisposeAsync();
}
