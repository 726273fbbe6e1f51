using Slipway.Config;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>The config a release gets: the environment's resources prepared (their URLs are config), the
/// environment's vars checked against the spec's variables, declared defaults filled in, sealed once into the
/// deployment. Fix commands in problems name the app and its --env.</summary>
internal sealed class DeployConfig(ConfigVars configVars, IEnvironmentResources resources, IEnumerable<IWithheldSecrets> withheld)
{
    /// <summary>Prepares the environment's resources (databases) the spec declares, then
    /// <see cref="Checked"/>.</summary>
    public async Task<ConfigSnapshot> PrepareAsync(AppRef target, AppSpec spec, Action<string> log, CancellationToken token)
    {
        // Databases exist (and their URLs are config) before the config is checked and the release command runs.
        await resources.PrepareAsync(target, spec.Databases, log, token);
        return Checked(target, spec);
    }

    /// <summary>The environment's config with the spec's defaults, or a <see cref="DeployFailure"/> at "config"
    /// listing every problem.</summary>
    public ConfigSnapshot Checked(AppRef target, AppSpec spec)
    {
        var (current, dropped) = Current(target);
        if (Check(target, spec, current, dropped) is { Count: > 0 } problems)
        {
            throw new DeployFailure("config", Describe(target.Key, problems), []);
        }
        // A withheld secret stays absent: not filled with the fork's own default either.
        return ConfigSchema.WithDefaults([.. spec.Variables.Where(v => !dropped.Contains(v.Name))], current);
    }

    /// <summary>The environment's config as its release will get it: where secrets are withheld (a fork's preview),
    /// without them, and the names dropped.</summary>
    private (ConfigSnapshot Current, IReadOnlySet<string> Dropped) Current(AppRef target)
    {
        var snapshot = configVars.Snapshot(target);
        if (!withheld.Any(w => w.Withholds(target)))
        {
            return (snapshot, new HashSet<string>());
        }
        var databaseVars = resources.VariablesOf(target.Key);
        var dropped = snapshot.Secrets.Where(name => !databaseVars.Contains(name, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
        return (new ConfigSnapshot(snapshot.Vars.Where(kv => !dropped.Contains(kv.Key)).ToDictionary(StringComparer.Ordinal),
            snapshot.Secrets.Where(name => !dropped.Contains(name)).ToList())
        {
            Defaults = snapshot.Defaults,
            Shared = snapshot.Shared?.Where(name => !dropped.Contains(name)).ToList(),
        }, dropped);
    }

    /// <summary>The config against the spec's variables. A withheld secret is not checked at all: the code asking is
    /// the fork's, and whether a secret matches a pattern it chose would tell it what the secret looks like.</summary>
    private static IReadOnlyList<string> Check(AppRef target, AppSpec spec, ConfigSnapshot current, IReadOnlySet<string> dropped)
    {
        var named = target.IsProduction ? target.App : $"{target.App} --env {target.Env}";
        return ConfigSchema.Check(named, [.. spec.Variables.Where(v => !dropped.Contains(v.Name))], current, target.Env);
    }

    /// <summary>The environment's config against the spec's variables.</summary>
    public IReadOnlyList<string> Problems(AppRef target, AppSpec spec)
    {
        var (current, dropped) = Current(target);
        return Check(target, spec, current, dropped);
    }

    /// <summary>The request's early check of a local source: it exists, its manifest is valid and the environment's
    /// config satisfies it, so a bad deploy answers 400 with every problem before anything is created.</summary>
    public void CheckLocalSource(DeployRequest request)
    {
        if (!Path.IsPathFullyQualified(request.Source) || !Directory.Exists(request.Source))
        {
            throw new UserException($"Source directory '{request.Source}' does not exist. Give the path of your app's source, or a git URL.");
        }
        switch (ManifestLoader.Load(request.Source))
        {
            case ManifestResult.Invalid invalid:
                throw invalid.ToException();
            // Variables a declared database provides are set when it is created, during the deployment.
            case ManifestResult.Ok ok when Problems(request.Target, ok.Spec with { Variables = [.. ok.Spec.Variables.Where(v => ok.Spec.Databases.All(d => d.Var != v.Name))] })
                is { Count: > 0 } problems:
                throw new UserException(Describe(request.Target.Key, problems));
        }
    }

    public (string Sealed, string Fingerprint) Seal(ConfigSnapshot snapshot) => configVars.Seal(snapshot);

    public static string Describe(string app, IReadOnlyList<string> problems) =>
        $"Not deployed: the config of {app} does not satisfy slipway.json's variables ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}; the live version keeps serving):\n" +
        string.Join("\n", problems.Select(p => "  - " + p));
}
