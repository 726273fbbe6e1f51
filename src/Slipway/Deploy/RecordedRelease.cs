using System.Text.Json;
using Slipway.Config;
using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>A deployment that went live, loaded again to run its release: its build (known to be usable), the
/// spec and the config it ran with.</summary>
internal sealed record RecordedRelease(DeploymentRecord Deployment, BuildRecord Build, string BuildDir, bool SourceKept, AppSpec Spec, ConfigSnapshot Config)
{
    /// <summary>This release run again as deployment <paramref name="deploymentId"/> of <paramref name="app"/>
    /// (another environment's row for a promote).</summary>
    public Release AsRelease(string deploymentId, string? app = null) =>
        new(app ?? Deployment.App, deploymentId, BuildDir, Spec, Config.Vars);
}

/// <summary>Loads recorded releases: the one place that decides whether a recorded build can run again.</summary>
internal sealed class RecordedReleases(Store store, BuildDirectories builds, ConfigVars config)
{
    /// <summary>The release <paramref name="recorded"/> ran, or a user error <paramref name="whenGone"/> when its
    /// build can no longer run (pruned, deleted, or never built).</summary>
    public RecordedRelease Load(DeploymentRecord recorded, string whenGone) =>
        TryLoad(recorded) ?? throw new UserException(whenGone);

    public RecordedRelease? TryLoad(DeploymentRecord recorded)
    {
        var build = recorded.BuildId is null || recorded.SpecJson is null ? null : store.FindBuild(recorded.BuildId);
        if (build is null || !builds.IsUsable(build))
        {
            return null;
        }
        return new RecordedRelease(recorded, build, builds.DirOf(build), Directory.Exists(builds.SourceOf(build)),
            JsonSerializer.Deserialize<AppSpec>(recorded.SpecJson!, Release.Json)!, config.Open(recorded.App, recorded.ConfigJson));
    }

    /// <summary>The live deployment of the environment row <paramref name="key"/>, or the user error that it has none.</summary>
    public DeploymentRecord LiveOf(string key)
    {
        var record = AppErrors.Require(store, store.RefOf(key));
        return (record.LiveDeploymentId is { } id ? store.FindDeployment(id) : null)
            ?? throw new UserException($"App {key} has no live deployment yet. Deploy it first: slipway deploy DIR --app {key}");
    }

    /// <summary>The live release of <paramref name="key"/>; <paramref name="whenGone"/> says, given the live
    /// deployment's id, what to do when its build can no longer run.</summary>
    public RecordedRelease Live(string key, Func<string, string>? whenGone = null)
    {
        var live = LiveOf(key);
        return Load(live, whenGone?.Invoke(live.Id) ?? $"The build of live deployment {live.Id} is missing; deploy again.");
    }

    /// <summary>The request-time check of a rollback target: its build can still run (nothing is decrypted yet).</summary>
    public void RequireUsable(DeploymentRecord recorded, string whenGone)
    {
        var build = recorded.BuildId is null ? null : store.FindBuild(recorded.BuildId);
        if (build is null || recorded.SpecJson is null || !builds.IsUsable(build))
        {
            throw new UserException(whenGone);
        }
    }
}
