using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>Builds the environment of builds, releases and instances from scratch: nothing of the platform's
/// own environment (its keys, tokens, settings) reaches an app except the few variables a process needs.</summary>
internal static class RuntimeEnvironment
{
    private static readonly string[] Inherited = ["PATH", "HOME", "LANG", "TZ", "USER", "LOGNAME", "TMPDIR", "DOTNET_ROOT"];

    /// <param name="confined">What a sandboxed process has in place of the platform's own HOME, TMPDIR and user
    /// (<see cref="AppIsolation.Variables"/>); empty when it is not sandboxed.</param>
    private static Dictionary<string, string> Base(IReadOnlyDictionary<string, string> confined)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Inherited)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }
        foreach (var (name, value) in confined)
        {
            env[name] = value;
        }
        env.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.TryAdd("LANG", "C.UTF-8");
        return env;
    }

    /// <summary>For install and build commands.</summary>
    public static Dictionary<string, string> ForBuild(string app, string cacheDir, IReadOnlyDictionary<string, string> config,
        IReadOnlyDictionary<string, string> confined)
    {
        var env = Base(confined);
        foreach (var (k, v) in config)
        {
            env[k] = v;
        }
        env["CI"] = "true";
        env["SLIPWAY_APP"] = app;
        env["npm_config_cache"] = Path.Combine(cacheDir, "npm");
        env["npm_config_update_notifier"] = "false";
        env["npm_config_fund"] = "false";
        env["NUGET_PACKAGES"] = Path.Combine(cacheDir, "nuget");
        env["npm_config_audit"] = "false";
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        env["DOTNET_NOLOGO"] = "1";
        env["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        return env;
    }

    /// <summary>For release commands and instances of <paramref name="service"/> (PORT is added per instance).</summary>
    public static Dictionary<string, string> ForService(string app, string deploymentId, ServiceSpec service, IReadOnlyDictionary<string, string> config,
        IReadOnlyDictionary<string, string> confined)
    {
        var env = Base(confined);
        env["NODE_ENV"] = "production";
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (k, v) in service.Env)
        {
            env[k] = v;
        }
        foreach (var (k, v) in config)
        {
            env[k] = v;
        }
        env["SLIPWAY_APP"] = app;
        env["SLIPWAY_SERVICE"] = service.Name;
        env["SLIPWAY_DEPLOYMENT_ID"] = deploymentId;
        return env;
    }
}
