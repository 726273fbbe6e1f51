namespace Slipway.Tests.Support;

/// <summary>The machine's Chromium (test.sh installs Debian's), which Playwright drives instead of a browser it would
/// download.</summary>
internal static class Chromium
{
    public static string Path { get; } = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("No Chromium on this machine: test.sh installs it (apt-get install chromium).");
}
