using Slipway.Config;
using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>Turns each kind of deployment into a plan: a pure function of what is recorded and the config that
/// was checked, so every rule of "what runs" is here, with exact tests, and <see cref="Rollout"/> runs them all.
///
///   kind      release from            config                   release command   replaced set
///   deploy    new build (BuildPhase)  environment's, checked   runs              kept warm
///   rollback  target's build          target's recorded        no                kept warm (and reused if warm)
///   restart   live build              live's recorded          no                stopped
///   config    live build              environment's, checked   no                kept warm     ─┐ a build-time variable
///   promote   other env's live build  this env's, checked      runs              kept warm     ─┘ changed: rebuild</summary>
internal static class ReleasePlanner
{
    /// <summary>A new build (from source, or a rebuild) with the config it was built with: its release command
    /// runs, and hostnames given with --host take effect when it goes live.</summary>
    public static Release Deploy(string app, string deploymentId, string buildDir, AppSpec spec, ConfigSnapshot config, IReadOnlyList<string>? newHosts) =>
        new(app, deploymentId, buildDir, spec, config.Vars) { RunsReleaseCommand = true, NewHosts = newHosts };

    public static ReleasePlan Rollback(string deploymentId, RecordedRelease target) =>
        new ReleasePlan.Run(target.AsRelease(deploymentId) with { WarmFrom = target.Deployment.Id }, target.Deployment, null, []);

    public static ReleasePlan Restart(string deploymentId, RecordedRelease live) =>
        new ReleasePlan.Run(live.AsRelease(deploymentId) with { KeepReplacedWarm = false }, live.Deployment, null, []);

    /// <summary>`start` of a stopped app, and recovery after a platform restart: the live release itself.</summary>
    public static Release Start(RecordedRelease live) => live.AsRelease(live.Deployment.Id);

    /// <summary>After `env set` / `unset`: the live build with <paramref name="next"/>. A changed build-time
    /// variable is baked into the build's output, so restarting would serve the old value: the kept source is
    /// built again (a build made before sources were kept restarts with a note saying how to rebuild).</summary>
    public static ReleasePlan ConfigChange(string deploymentId, RecordedRelease live, ConfigSnapshot next)
    {
        var notes = new List<string>();
        if (BuildTimeChanges(live.Spec, live.Config, next) is { Count: > 0 } changed)
        {
            var names = string.Join(", ", changed);
            if (live.SourceKept)
            {
                return new ReleasePlan.Rebuild(live, next, $"{names} changed and the build uses it: rebuilding");
            }
            notes.Add($"{names} changed but build {live.Build.Id} predates kept sources: deploy the source again to rebuild");
        }
        notes.Add($"new config ({next.Vars.Count} variable(s)) on the build of {live.Deployment.Id}");
        return new ReleasePlan.Run(live.AsRelease(deploymentId) with { Config = next.Vars }, live.Deployment, next, notes);
    }

    /// <summary>The build live in <paramref name="fromEnv"/> goes to the row <paramref name="toKey"/> with that
    /// environment's config <paramref name="next"/>: no rebuild unless a build-time variable differs (the bundle
    /// would point <paramref name="toEnv"/>'s users at <paramref name="fromEnv"/>), release command first.</summary>
    public static ReleasePlan Promote(string deploymentId, string toKey, RecordedRelease source, ConfigSnapshot next, string fromEnv, string toEnv)
    {
        if (BuildTimeChanges(source.Spec, source.Config, next) is { Count: > 0 } bakedIn)
        {
            var names = string.Join(", ", bakedIn);
            if (!source.SourceKept)
            {
                throw new UserException($"{names} differ between {fromEnv} and {toEnv} and are built into the bundle, " +
                    $"but build {source.Build.Id} keeps no source to rebuild: deploy the source to {toEnv} instead.");
            }
            return new ReleasePlan.Rebuild(source, next, $"{names} differ in {toEnv} and are built into the bundle: building {fromEnv}'s source again for {toEnv}");
        }
        var release = source.AsRelease(deploymentId, toKey) with { Config = next.Vars, RunsReleaseCommand = true };
        return new ReleasePlan.Run(release, source.Deployment, next,
            [$"promoting build {source.Build.Id} of {fromEnv} ({source.Deployment.Id}) to {toEnv}, with {toEnv}'s config"]);
    }

    /// <summary>Build-time variables (browser prefixes, or declared "build": true) whose value differs.</summary>
    public static List<string> BuildTimeChanges(AppSpec spec, ConfigSnapshot built, ConfigSnapshot next)
    {
        var declared = spec.Variables.Where(v => v.Build).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        return built.Vars.Keys.Union(next.Vars.Keys)
            .Where(name => BrowserVariables.Is(name) || declared.Contains(name))
            .Where(name => built.Vars.GetValueOrDefault(name) != next.Vars.GetValueOrDefault(name))
            .Order(StringComparer.Ordinal).ToList();
    }
}
