using Slipway.Config;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>The config a release gets: the environment's resources prepared (their URLs are config), the
/// environment's vars checked against the spec's variables, declared defaults filled in, sealed once into the
/// deployment. Fix commands in problems name the app and its --env.</summary>
internal sealed class DeployConfig(Store store, ConfigVars configVars, IEnvironmentResources resources)
{
    /// <summary>Prepares the environment's resources (databases) the spec declares, then
    /// <see cref="Checked"/>.</summary>
    public async Task<ConfigSnapshot> PrepareAsync(string key, string app, string env, AppSpec spec, Action<string> log, CancellationToken token)
    {
        // Databases exist (and their URLs are config) before the config is checked and the release command runs.
        await resources.PrepareAsync(key, app, env, spec.Databases, log, token);
        return Checked(key, spec, app, env);
    }

    /// <summary>The environment's config with the spec's defaults, or a <see cref="DeployFailure"/> at "config"
    /// listing every problem.</summary>
    public ConfigSnapshot Checked(string key, AppSpec spec, string? app = null, string? env = null)
    {
        if (Problems(key, spec, app, env) is { Count: > 0 } problems)
        {
            throw new DeployFailure("config", Describe(key, problems), []);
        }
        return ConfigSchema.WithDefaults(spec.Variables, configVars.Snapshot(key));
    }

    /// <summary>The environment's config against the spec's variables.</summary>
    public IReadOnlyList<string> Problems(string key, AppSpec spec, string? app = null, string? env = null)
    {
        var record = store.FindApp(key);
        app ??= record?.App ?? key;
        env ??= record?.Env ?? AppEnvironments.Production;
        var target = env == AppEnvironments.Production ? app : $"{app} --env {env}";
        return ConfigSchema.Check(target, spec.Variables, configVars.Snapshot(key, (app, env)), env);
    }

    public (string Sealed, string Fingerprint) Seal(ConfigSnapshot snapshot) => configVars.Seal(snapshot);

    public static string Describe(string app, IReadOnlyList<string> problems) =>
        $"Not deployed: the config of {app} does not satisfy slipway.json's variables ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}; the live version keeps serving):\n" +
        string.Join("\n", problems.Select(p => "  - " + p));
}
