using System.Diagnostics;

namespace Slipway.Tests.Support;

/// <summary>npm packages the tests run (s3rver, axe-core): `npm ci` from the lock file kept in the repository, into a
/// directory of this test run.</summary>
internal static class NpmPackages
{
    /// <summary>Installs the package.json and package-lock.json in <paramref name="source"/> (relative to the repository)
    /// and returns the directory that holds node_modules.</summary>
    public static async Task<string> InstallAsync(string source, string name, bool ignoreScripts = false)
    {
        var from = Path.Combine(TestApps.RepoRoot, source);
        var dir = TempDirs.Create(name + "-install");
        foreach (var file in (string[])["package.json", "package-lock.json"])
        {
            File.Copy(Path.Combine(from, file), Path.Combine(dir, file));
        }
        var psi = new ProcessStartInfo("npm") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["ci", "--no-audit", "--no-fund", "--loglevel=error", .. ignoreScripts ? (string[])["--ignore-scripts"] : []])
        {
            psi.ArgumentList.Add(arg);
        }
        using var npm = Process.Start(psi)!;
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        try
        {
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException($"npm ci for {name} took more than 3 minutes (is the npm registry reachable?); it was stopped.");
        }
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci for {name} failed: {await output}\n{await errors}");
        }
        return dir;
    }
}
