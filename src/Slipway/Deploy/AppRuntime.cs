using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Slipway.Edge;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Which instances serve each app right now, which are kept warm for rollback, and the switch
/// between them.
///
///   new set healthy ──► route table swap (atomic) ──► old set drains (in-flight → 0 or drain timeout)
///                                                  └─► old web instances stay warm for the warm window, then stop;
///                                                      old workers stop at once (no double processing)
///
/// Stop-first workers leave the serving set before the new set starts (<see cref="StopServingAsync"/>) and come
/// back into it if the new set fails (<see cref="StartAgain"/>); workers are never kept warm.
/// </summary>
internal sealed partial class AppRuntime(Supervisor supervisor, Routes routes, ProcessEnvironment environments, AppIsolation isolation, TimeProvider clock,
    DeployOptions options, Store store, IEnvironmentResources resources, ILogger<AppRuntime> logger) : IRuntimeTarget
{
    /// <summary>Taken by whatever points an app's hostnames somewhere (<see cref="AppHosts"/>' changes and switches,
    /// a stop parking the app), so a `hosts add` cannot route hostnames back at instances that are stopping.</summary>
    public Lock RouteGate { get; } = new();

    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(20);
    private readonly TimeSpan _warmWindow = options.WarmWindow;
    private readonly ConcurrentDictionary<string, ServingSet> _serving = new();
    private readonly ConcurrentDictionary<string, (ServingSet Set, CancellationTokenSource Expiry)> _warm = new();
    private readonly ConcurrentDictionary<string, int> _switches = new();

    public ServingSet? Serving(string app) => _serving.GetValueOrDefault(app);

    public ServingSet? Warm(string app) => _warm.TryGetValue(app, out var w) ? w.Set : null;

    /// <summary>The instances a deployment has started that neither serve nor stay warm yet: a rollout's new version
    /// while it starts and is checked.</summary>
    public IReadOnlyList<Instance> Starting(string app, string deploymentId)
    {
        var known = (Serving(app)?.Instances ?? []).Concat(Warm(app)?.Instances ?? []).ToHashSet();
        return supervisor.ForDeployment(deploymentId).Where(i => i.Spec.App == app && !known.Contains(i)).ToList();
    }

    /// <summary>Starts every web and worker replica of <paramref name="release"/> on fresh ports.</summary>
    public ServingSet Start(Release release, Func<ServiceSpec, bool>? which = null) => Resume(release, [], which);

    public ServingSet Resume(Release release, IReadOnlyList<InstanceRecord> living) => Resume(release, living, null);

    private ServingSet Resume(Release release, IReadOnlyList<InstanceRecord> living, Func<ServiceSpec, bool>? which)
    {
        var instances = new List<Instance>();
        foreach (var service in release.Spec.Services.Where(s => s.Type != ServiceType.Static && (which is null || which(s))))
        {
            var env = environments.For(release, service);
            for (var replica = 1; replica <= service.Replicas; replica++)
            {
                var record = living.FirstOrDefault(r => r.Service == service.Name && r.Replica == replica && r.DeploymentId == release.DeploymentId);
                var id = record?.Id ?? Ids.New("i");
                // Its own id, as Render's RENDER_INSTANCE_ID: the pid an app sees is its sandbox's, not the host's.
                var instanceEnv = new Dictionary<string, string>(env, StringComparer.Ordinal) { ["SLIPWAY_INSTANCE_ID"] = id };
                var spec = new InstanceSpec(id, release.App, release.DeploymentId, service, replica,
                    release.ServiceDir(service), instanceEnv, release.Spec.Deploy.StopTimeout)
                {
                    Isolation = isolation.ForService(release, service, id),
                };
                instances.Add(record is { Pid: { } pid, LaunchKey: { } key } && (record.Port is not null || service.Type != ServiceType.Web)
                    ? supervisor.Adopt(spec, (int)(record.Port ?? 0), new Adoption((int)pid, record.PidStart, key), (int)record.Restarts,
                        wasServing: record.State == JsonSpellings.Of(InstanceState.Healthy))
                    : supervisor.Start(spec));
            }
        }
        return new ServingSet(release, instances);
    }

    /// <summary>Traffic moves to <paramref name="next"/> in one table swap. The set it replaces drains and is
    /// kept warm (unless <paramref name="keepReplacedWarm"/> is false: a restart replaces instances for good); the
    /// set that was warm before is stopped.</summary>
    public void SwitchTo(string app, ServingSet next, IReadOnlyList<string> hosts, bool keepReplacedWarm)
    {
        routes.Set(BuildRoute(app, next, hosts));
        var generation = _switches.AddOrUpdate(app, 1, (_, n) => n + 1);
        var previous = _serving.GetValueOrDefault(app);
        _serving[app] = next;
        if (_warm.TryRemove(app, out var warm) && warm.Set != next)
        {
            warm.Expiry.Cancel();
            Forget(supervisor.StopAllAsync(warm.Set.Instances), app);
        }
        if (previous is not null && previous != next)
        {
            Forget(RetireAsync(app, previous, keepReplacedWarm, generation), app);
        }
    }

    /// <summary>Points the app's hostnames at its serving set again (after its hostnames changed).</summary>
    public void Reroute(string app, IReadOnlyList<string> hosts)
    {
        if (_serving.TryGetValue(app, out var set))
        {
            routes.Set(BuildRoute(app, set, hosts));
        }
    }

    public async Task<ServingSet?> StopServingAsync(string app, Func<ServiceSpec, bool> which)
    {
        if (!_serving.TryGetValue(app, out var serving) || serving.Instances.Where(i => which(i.Spec.Service)).ToList() is not { Count: > 0 } stopping)
        {
            return null;
        }
        // Out of the serving set first: whatever reads it (status, a switch, stop) no longer counts on them.
        _serving[app] = serving with { Instances = serving.Instances.Except(stopping).ToList() };
        await supervisor.StopAllAsync(stopping);
        return serving with { Instances = stopping };
    }

    public ServingSet StartAgain(string app, ServingSet stopped)
    {
        if (!_serving.TryGetValue(app, out var serving) || serving.Release.DeploymentId != stopped.Release.DeploymentId)
        {
            // Another release serves, or the app was stopped: the stopped instances have nothing to rejoin. (Rollouts
            // and stops hold the app's lock, so this is a bug's safety net, not a path users reach.)
            return stopped with { Instances = [] };
        }
        var names = stopped.Instances.Select(i => i.Spec.Service.Name).ToHashSet(StringComparer.Ordinal);
        var again = Start(stopped.Release, s => names.Contains(s.Name));
        _serving[app] = serving with { Instances = [.. serving.Instances, .. again.Instances] };
        return again;
    }

    /// <summary>Takes the warm set for a rollback switch, if it belongs to <paramref name="deploymentId"/> and is healthy.</summary>
    public ServingSet? TakeWarm(string app, string deploymentId)
    {
        if (_warm.TryGetValue(app, out var warm) && warm.Set.Release.DeploymentId == deploymentId && warm.Set.AllHealthy &&
            _warm.TryRemove(new KeyValuePair<string, (ServingSet, CancellationTokenSource)>(app, warm)))
        {
            warm.Expiry.Cancel();
            return warm.Set;
        }
        return null;
    }

    public Task StopAsync(ServingSet set) => supervisor.StopAllAsync(set.Instances);

    public async Task StopAppAsync(string app)
    {
        var tasks = new List<Task>();
        // Out of the serving set before the route is parked, both under the route gate: a hostname change routes a
        // serving app at its instances, so it must see this app as no longer serving once its route is parked.
        ServingSet? serving;
        lock (RouteGate)
        {
            _serving.TryRemove(app, out serving);
            routes.Park(store.RefOf(app));
        }
        if (serving is not null)
        {
            tasks.Add(supervisor.StopAllAsync(serving.Instances));
        }
        if (_warm.TryRemove(app, out var warm))
        {
            warm.Expiry.Cancel();
            tasks.Add(supervisor.StopAllAsync(warm.Set.Instances));
        }
        await Task.WhenAll(tasks);
        await supervisor.StopAllAsync(supervisor.ForApp(app));
    }

    private async Task RetireAsync(string app, ServingSet previous, bool keepWarm, int generation)
    {
        var web = previous.Instances.Where(i => i.Spec.Service.Type == ServiceType.Web).ToList();
        // Workers (the start-first ones; stop-first ones are gone already) stop beside the drain, not before it: a
        // worker's grace for its job must not delay the warm set a rollback right after this switch looks for.
        Forget(supervisor.StopAllAsync(previous.Instances.Where(i => i.Spec.Service.Type != ServiceType.Web).ToList()), app);
        await DrainAsync(web, previous.Release.Spec.Deploy.DrainTimeout);
        // Only the set replaced by the latest switch stays warm: if another switch happened while this one
        // drained, this set is two versions old.
        if (!keepWarm || _warmWindow <= TimeSpan.Zero || web.Count == 0 || _switches.GetValueOrDefault(app) != generation)
        {
            await supervisor.StopAllAsync(web);
            return;
        }
        var expiry = new CancellationTokenSource();
        var set = previous with { Instances = web };
        if (_warm.TryRemove(app, out var older))
        {
            older.Expiry.Cancel();
            Forget(supervisor.StopAllAsync(older.Set.Instances), app);
        }
        _warm[app] = (set, expiry);
        try
        {
            await Task.Delay(_warmWindow, clock, expiry.Token);
        }
        catch (OperationCanceledException)
        {
            return; // taken by a rollback, replaced by a newer warm set, or the app stopped: whoever cancelled owns it.
        }
        if (_warm.TryRemove(new KeyValuePair<string, (ServingSet, CancellationTokenSource)>(app, (set, expiry))))
        {
            await supervisor.StopAllAsync(web);
        }
    }

    /// <summary>Waits until no request is in flight on any of <paramref name="instances"/>, at most <paramref name="timeout"/>.</summary>
    private async Task DrainAsync(IReadOnlyList<Instance> instances, TimeSpan timeout)
    {
        var start = clock.GetTimestamp();
        while (instances.Any(i => i.Endpoint.InFlight > 0) && clock.GetElapsedTime(start) < timeout)
        {
            await Task.Delay(DrainPoll, clock);
        }
    }

    /// <summary>Completes when every instance of the set passed its health check within its start timeout;
    /// otherwise throws the first failure with the instance's last log lines.</summary>
    public async Task WaitHealthyAsync(ServingSet set, CancellationToken token)
    {
        foreach (var instance in set.Instances)
        {
            var hc = instance.Spec.Service.Healthcheck;
            var started = instance.FirstStart;
            var finished = await Task.WhenAny(started, Task.Delay(hc.StartTimeout, clock, token));
            token.ThrowIfCancellationRequested();
            var name = $"{instance.Spec.Service.Name} (replica {instance.Spec.Replica})";
            if (finished != started)
            {
                throw new DeployFailure("health-check",
                    $"{name} did not pass its health check (GET {hc.Path}) within {Durations.Format(hc.StartTimeout)}" +
                    (instance.LastProbeDetail is { } d ? $": last probe: {d}" : "") +
                    "; the live version keeps serving", instance.RecentLines());
            }
            var outcome = await started;
            if (outcome.TooLarge)
            {
                throw DeployFailure.EnvironmentTooLarge(name);
            }
            if (!outcome.Healthy)
            {
                var lines = instance.RecentLines();
                throw new DeployFailure("start", $"{name} {outcome.Detail} before becoming healthy; the live version keeps serving" +
                    DatabaseHint.For(store.RefOf(instance.Spec.App), instance.Spec.Environment, resources.VariablesOf(instance.Spec.App), lines), lines);
            }
        }
    }

    /// <summary>Background stops and retirements are not awaited by their caller, but their failures are
    /// never lost: they go to the platform log.</summary>
    private void Forget(Task task, string app) => task.ContinueWith(
        t => LogBackgroundFailure(logger, app, t.Exception!),
        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping or retiring instances of {App} failed")]
    private static partial void LogBackgroundFailure(ILogger logger, string app, Exception exception);

    private AppRoute BuildRoute(string app, ServingSet set, IReadOnlyList<string> hosts)
    {
        var services = set.Release.Spec.Services
            .Where(s => s.Type != ServiceType.Worker)
            .OrderByDescending(s => s.Path.Length)
            .Select(s => new ServiceRoute(s.Name, s.Path,
                set.Instances.Where(i => i.Spec.Service.Name == s.Name).Select(i => i.Endpoint).ToList(),
                s.Type == ServiceType.Static
                    ? new StaticSite(Path.GetFullPath(Path.Combine(set.Release.ServiceDir(s), s.Output ?? ".")), s.Spa, set.Release.BuildDir)
                    : null))
            .ToList();
        return new AppRoute(app, set.Release.DeploymentId, hosts, services, EdgeRules.Compile(app, set.Release.Spec.Routes, routes.Limiters))
        {
            Ref = store.RefOf(app),
        };
    }
}
