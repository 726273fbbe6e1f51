namespace Slipway.Tests.Support;

/// <summary>axe-core, the accessibility checker, from npm: installed once per test run from the lock file in
/// Support/Axe (like s3rver), its source handed to <see cref="BrowserPage.AxeAsync"/> to run inside a page.</summary>
internal static class Axe
{
    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);

    /// <summary>axe.min.js, the whole checker as one script.</summary>
    public static Task<string> SourceAsync() => Installed.Value;

    private static async Task<string> InstallAsync()
    {
        var dir = await NpmPackages.InstallAsync(Path.Combine("tests", "Slipway.Tests", "Support", "Axe"), "axe-core", ignoreScripts: true);
        return await File.ReadAllTextAsync(Path.Combine(dir, "node_modules", "axe-core", "axe.min.js"));
    }
}
