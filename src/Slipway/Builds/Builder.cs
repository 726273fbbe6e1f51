using System.Security.Cryptography;
using System.Text;
using Slipway.Manifests;
using Slipway.Runtime;

namespace Slipway.Builds;

/// <summary>Installs dependencies and builds every service of an app inside its build directory, at low CPU
/// and I/O priority and under the manifest's time limit. npm installs are cached by lockfile: an unchanged
/// second build copies node_modules from the cache instead of installing.</summary>
internal sealed class Builder(StepRunner steps, LogStore logs, TimeProvider clock)
{
    public async Task<(bool Ok, string Step, string Error, IReadOnlyList<string> LastLines)> BuildAsync(
        string app, string deploymentId, AppSpec spec, string sourceDir, IReadOnlyDictionary<string, string> environment,
        BuildConfinement confinement, CancellationToken cancellationToken)
    {
        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeLimit.CancelAfter(spec.Deploy.BuildTimeout);
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in spec.Services)
        {
            var dir = Path.GetFullPath(Path.Combine(sourceDir, service.Root));
            // Services that share a root and commands (a monorepo's shared package) are built once.
            if (!done.Add($"{dir}\n{service.Install}\n{service.Build}"))
            {
                continue;
            }
            // A service's declared env is there at build time too (Vite and Next inline some of it); app config wins.
            var env = new Dictionary<string, string>(service.Env);
            foreach (var (k, v) in environment)
            {
                env[k] = v;
            }
            if (service.Install is { } install)
            {
                var result = await InstallAsync(app, deploymentId, service.Name, install, dir, env, confinement, spec.Deploy.BuildTimeout, timeLimit.Token);
                if (!result.Succeeded)
                {
                    return (false, "build", Describe(result, $"{service.Name}: install ({install})", cancellationToken), result.LastLines);
                }
            }
            if (service.Build is { } build)
            {
                var result = await steps.RunAsync(app, deploymentId, "build", service.Name,
                    new LaunchSpec(build, dir, env, LowPriority: true) { Isolation = confinement.Isolation }, spec.Deploy.BuildTimeout, timeLimit.Token);
                if (!result.Succeeded)
                {
                    return (false, "build", Describe(result, $"{service.Name}: build ({build})", cancellationToken), result.LastLines);
                }
            }
            if (service.Type == ServiceType.Static && Directory.Exists(Path.Combine(dir, service.Output ?? ".")) &&
                !RealPaths.IsUnder(Path.Combine(dir, service.Output ?? "."), sourceDir))
            {
                return (false, "build", $"{service.Name}: the output directory '{service.Output}' leads outside the build (a symbolic link?). " +
                    "Static files are served only from inside the app's own build.", []);
            }
            if (service.Type == ServiceType.Static && !Directory.Exists(Path.Combine(dir, service.Output ?? ".")))
            {
                return (false, "build", $"{service.Name}: the build did not produce its output directory '{service.Output}'. " +
                    "Check services." + service.Name + ".output in slipway.json against where the build writes its files.", []);
            }
        }
        return (true, "build", "", []);
    }

    private string Describe(StepResult result, string what, CancellationToken cancellationToken) =>
        result.Outcome == StepOutcome.Cancelled && !cancellationToken.IsCancellationRequested
            ? $"{what} did not finish within the build time limit (deploy.buildTimeout) and was stopped"
            : result.Describe(what);

    private async Task<StepResult> InstallAsync(string app, string deploymentId, string service, string install, string dir,
        IReadOnlyDictionary<string, string> environment, BuildConfinement confinement, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var key = NpmCacheKey(install, dir);
        var cached = key is null ? null : Path.Combine(confinement.CacheDir, "deps", key, "node_modules");
        var target = Path.Combine(dir, "node_modules");
        if (cached is not null && Directory.Exists(cached) && !Directory.Exists(target))
        {
            var copy = await steps.RunAsync(app, deploymentId, "build", service,
                Copy(cached, target, dir, environment, confinement), timeout, cancellationToken, echoCommand: false);
            if (copy.Succeeded)
            {
                logs.Append(LogKeys.Deployment(app, deploymentId), new LogEntry(clock.GetUtcNow(), "build",
                    $"dependencies restored from cache ({key![..12]}), skipped '{install}'", deploymentId, service));
                return copy;
            }
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }
        }
        var result = await steps.RunAsync(app, deploymentId, "build", service, new LaunchSpec(install, dir, environment, LowPriority: true) { Isolation = confinement.Isolation }, timeout, cancellationToken);
        if (result.Succeeded && cached is not null && Directory.Exists(target) && !Directory.Exists(cached))
        {
            // Fill the cache through a temporary name and a rename, so a half-copied cache is never used.
            var staging = cached + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
            var fill = await steps.RunAsync(app, deploymentId, "build", service,
                Copy(target, staging, dir, environment, confinement), timeout, cancellationToken, echoCommand: false);
            try
            {
                if (fill.Succeeded)
                {
                    Directory.Move(staging, cached);
                }
            }
            catch (IOException)
            {
                // Another build filled it first.
            }
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        return result;
    }

    /// <summary>cp -a with the paths passed as variables, never spliced into the shell line.</summary>
    private static LaunchSpec Copy(string from, string to, string dir, IReadOnlyDictionary<string, string> environment, BuildConfinement confinement)
    {
        var env = new Dictionary<string, string>(environment) { ["SLIPWAY_COPY_FROM"] = from, ["SLIPWAY_COPY_TO"] = to };
        // The step makes the target's parent itself, so it is the build's user's (a sandboxed build writes only its own).
        return new LaunchSpec("mkdir -p \"$(dirname \"$SLIPWAY_COPY_TO\")\" && cp -a --reflink=auto \"$SLIPWAY_COPY_FROM\" \"$SLIPWAY_COPY_TO\"", dir, env, LowPriority: true) { Isolation = confinement.Isolation };
    }

    /// <summary>Cache key for an npm install: the command, the lockfile (or package.json without one) and
    /// the Node version, since native modules are built for it. Null when the install is not npm.</summary>
    private static string? NpmCacheKey(string install, string dir)
    {
        if (!install.StartsWith("npm ", StringComparison.Ordinal) || !File.Exists(Path.Combine(dir, "package.json")))
        {
            return null;
        }
        var lockFile = new[] { "package-lock.json", "npm-shrinkwrap.json", "package.json" }
            .Select(f => Path.Combine(dir, f)).First(File.Exists);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(install + "\n" + NodeVersion.Value + "\n"));
        hash.AppendData(File.ReadAllBytes(Path.Combine(dir, "package.json")));
        hash.AppendData(File.ReadAllBytes(lockFile));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static readonly Lazy<string> NodeVersion = new(() =>
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("node", "--version")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return v;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "no-node";
        }
    });
}

/// <summary>How a build's steps are confined (the app environment's user, sandbox and limits) and the dependency
/// cache they may use (the environment's own when sandboxed).</summary>
internal sealed record BuildConfinement(Sandbox.Isolation Isolation, string CacheDir);
