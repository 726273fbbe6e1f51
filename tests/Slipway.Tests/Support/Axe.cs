using System.Diagnostics;

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
        var source = Path.Combine(TestApps.RepoRoot, "tests", "Slipway.Tests", "Support", "Axe");
        var dir = TempDirs.Create("axe-install");
        foreach (var file in (string[])["package.json", "package-lock.json"])
        {
            File.Copy(Path.Combine(source, file), Path.Combine(dir, file));
        }
        var psi = new ProcessStartInfo("npm") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"])
        {
            psi.ArgumentList.Add(arg);
        }
        using var npm = Process.Start(psi)!;
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci for axe-core failed: {await output}\n{await errors}");
        }
        return await File.ReadAllTextAsync(Path.Combine(dir, "node_modules", "axe-core", "axe.min.js"));
    }
}
