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

    /// <summary>Reads a typical recorded spec once, so that the JSON metadata of <see cref="AppSpec"/> (built by
    /// reflection, ~80 ms on first use: see Api/SlipwayJsonContext for why it is not generated) is ready before
    /// Recovery loads the live releases. The platform runs it beside its start-up, on the other core: after a crash
    /// the edge answers that much sooner.</summary>
    public static void WarmUp() => JsonSerializer.Deserialize<AppSpec>(WarmUpSpec, Release.Json);

    internal const string WarmUpSpec = """
        {"name":"warm-up","services":[{"name":"web","type":"web","root":".","install":"npm ci","build":null,"start":"node server.js",
        "release":"node release.js","output":null,"spa":false,"path":"/","healthcheck":{"path":"/health","timeout":"5s","interval":"500ms",
        "startTimeout":"1m"},"replicas":2,"restart":{"policy":"on-failure","maxRetries":10},"strategy":"start-first","env":{"A":"b"},
        "resources":{"memoryBytes":null,"cpus":null,"pids":null}}],"deploy":{"drainTimeout":"30s","buildTimeout":"15m","releaseTimeout":"10m",
        "stopTimeout":"10s","buildMemoryBytes":null},"routes":{"rewrites":[],"redirects":[],"headers":[],"cleanUrls":false,"trailingSlash":null,
        "cors":[],"rateLimits":[],"securityHeaders":{},"limits":{"maxBodySize":10485760,"connectTimeout":"5s","responseTimeout":"1m"},
        "forceHttps":false},"crons":[],"alerts":[],"variables":[],"databases":[],"volumes":[],"errors":{"browser":false,"sourceMaps":false},"origin":"slipway.json"}
        """;

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
        if (!IsUsable(recorded))
        {
            throw new UserException(whenGone);
        }
    }

    /// <summary>Whether <paramref name="recorded"/>'s build can still run (kept, not pruned): what a rollback to it needs,
    /// so the dashboard offers the button only where the API would accept it.</summary>
    public bool IsUsable(DeploymentRecord recorded)
    {
        var build = recorded.BuildId is null ? null : store.FindBuild(recorded.BuildId);
        return build is not null && recorded.SpecJson is not null && builds.IsUsable(build);
    }
}
