using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Api;

/// <summary>Turns records and runtime state into the API's JSON shapes.</summary>
internal sealed class AppViews(Store store, AppRuntime runtime, AppHosts hosts, EdgeServer edge, AppVolumes volumes)
{
    /// <summary>One app environment; <paramref name="withDisk"/> adds the sizes of its build and volumes (a walk of
    /// the build, remembered for a while: for `status`, not for every row of `apps`).</summary>
    public AppDto App(AppRecord app, bool withDisk = false)
    {
        var live = app.LiveDeploymentId is { } id ? store.FindDeployment(id) : null;
        var instances = new List<InstanceDto>();
        if (runtime.Serving(app.Name) is { } serving)
        {
            instances.AddRange(serving.Instances.Select(i => Instance(i, "serving")));
        }
        if (runtime.Warm(app.Name) is { } warm)
        {
            instances.AddRange(warm.Instances.Select(i => Instance(i, "warm")));
        }
        // A rollout's new version shows while it starts, so a deploy that hangs at its health check can be looked at.
        if (store.ListDeployments(app.Name, 1).FirstOrDefault() is { Status: DeploymentStatus.Starting or DeploymentStatus.HealthChecking } rollout)
        {
            instances.AddRange(runtime.Starting(app.Name, rollout.Id).Select(i => Instance(i, "new")));
        }
        var services = runtime.Serving(app.Name)?.Release.Spec.Services.Select(s => s.Name).ToList() ?? [];
        var state = app.DesiredState == "stopped" ? "stopped"
            : live is null ? "not deployed"
            : instances.Any(i => i.Role == "serving" && i.State != InstanceState.Healthy) ? "degraded"
            : "running";
        var names = hosts.For(app.Name);
        DiskDto? disk = null;
        if (withDisk)
        {
            var (build, volumeBytes) = volumes.DiskOf(app.Name);
            disk = new DiskDto(build, volumeBytes, volumes.Quota);
        }
        return new AppDto(app.Name, app.App, app.Env, state, names.Select(edge.UrlOf).ToList(),
            live is null ? null : Deployment(live), instances, services, names, disk);
    }

    private static InstanceDto Instance(Instance i, string role)
    {
        var usage = i.Usage();
        return new(i.Spec.Id, i.Spec.Service.Name, i.Spec.Replica, i.State, i.Pid,
            i.Endpoint.Port == 0 ? null : i.Endpoint.Port, i.Restarts, i.Endpoint.InFlight, i.Endpoint.Requests, role,
            usage?.MemoryBytes, usage?.LimitBytes, usage?.PeakBytes, usage?.CpuPercent,
            usage?.CpuSeconds is { } cpu ? Math.Round(cpu, 2) : null, i.OomKills);
    }

    public static DeploymentDto Deployment(DeploymentRecord d)
    {
        double? duration = d.FinishedAt is { } finished ? (finished - d.CreatedAt).TotalSeconds : null;
        return new DeploymentDto(d.Id, d.Seq, d.App, d.Kind, d.Status, d.Step, d.Error, d.Source, d.CommitSha, d.RollbackOf,
            d.CreatedAt, d.FinishedAt, duration is null ? null : Math.Round(duration.Value, 2), d.CommitSubject, d.CommitAuthor, d.RequestedBy);
    }
}
