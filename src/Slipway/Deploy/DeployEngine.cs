using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Slipway.Builds;
using Slipway.Hosting;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Runs deployments, one at a time per app, through their steps:
///
///   queued ─► building ─► releasing ─► starting ─► health-checking ─► live
///     (snapshot, manifest,   (release command     (new instances on     (all healthy: route swap,
///      install, build)        against new build)   fresh ports)          old set drains, kept warm)
///
/// Any failure or cancellation stops the new instances and leaves the live version untouched. Rollbacks and
/// restarts skip straight to starting with an earlier build and its recorded config.</summary>
internal sealed partial class DeployEngine(
    Store store,
    AppRuntime runtime,
    Builder builder,
    StepRunner steps,
    LogStore logs,
    PlatformOptions options,
    TimeProvider clock,
    ILogger<DeployEngine> logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _appLocks = new();
    private readonly ConcurrentDictionary<string, (string App, CancellationTokenSource Cts)> _active = new();
    private readonly ConcurrentDictionary<string, Task> _tasks = new();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Validates what can be validated at once (app name, local source and its manifest), then queues
    /// the deployment and returns it; progress is in its log.</summary>
    public DeploymentRecord Enqueue(DeployRequest request)
    {
        AppNames.Validate(request.App);
        var isGit = SourceSnapshot.IsGitUrl(request.Source) || request.Ref is not null;
        if (!isGit)
        {
            if (!Path.IsPathFullyQualified(request.Source) || !Directory.Exists(request.Source))
            {
                throw new UserException($"Source directory '{request.Source}' does not exist. Give the path of your app's source, or a git URL.");
            }
            if (ManifestLoader.Load(request.Source) is ManifestResult.Invalid invalid)
            {
                throw invalid.ToException();
            }
        }
        store.EnsureApp(request.App);
        if (request.Hosts is { Count: > 0 } hosts)
        {
            SetHosts(request.App, hosts);
        }
        var deployment = store.CreateDeployment(request.App, DeploymentKind.Deploy, request.Source + (request.Ref is null ? "" : "#" + request.Ref), null, null);
        Launch(deployment, token => DeployAsync(deployment, request, token));
        return deployment;
    }

    /// <summary>Back to <paramref name="toId"/>, or to the deployment that was live before the current one.</summary>
    public DeploymentRecord Rollback(string app, string? toId)
    {
        var appRecord = RequireApp(app);
        var history = store.ListDeployments(app, 1000);
        DeploymentRecord? target;
        if (toId is not null)
        {
            target = history.FirstOrDefault(d => d.Id == toId || d.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture) == toId)
                ?? throw new UserException($"No deployment '{toId}' in app {app}. 'slipway deployments --app {app}' lists them.", 404);
            if (target.LiveAt is null || target.BuildId is null)
            {
                throw new UserException($"Deployment {target.Id} never went live ({target.Status}), so there is nothing to roll back to. Pick one that did from 'slipway deployments --app {app}'.");
            }
            if (target.Id == appRecord.LiveDeploymentId)
            {
                throw new UserException($"Deployment {target.Id} is already live.");
            }
        }
        else
        {
            var live = history.FirstOrDefault(d => d.Id == appRecord.LiveDeploymentId);
            target = history.FirstOrDefault(d => d.LiveAt is not null && d.Id != appRecord.LiveDeploymentId && d.BuildId is not null &&
                    (live is null || d.Seq < live.Seq) && DiffersFrom(d, live))
                ?? throw new UserException($"App {app} has no earlier deployment that went live, so there is nothing to roll back to.");
        }
        var build = store.FindBuild(target.BuildId!);
        if (build is null || build.Pruned != 0 || !Directory.Exists(build.Dir))
        {
            throw new UserException($"The build of deployment {target.Id} has been pruned (only the last {options.KeepBuilds} are kept). Deploy its source again instead.");
        }
        var deployment = store.CreateDeployment(app, DeploymentKind.Rollback, target.Source, target.BuildId, target.Id, target.SpecJson, target.ConfigJson, target.CommitSha);
        Launch(deployment, token => RunReleaseAsync(deployment, ReleaseOf(deployment, build.Dir), warmFrom: target.Id, token));
        return deployment;
    }

    /// <summary>Fresh instances of the live release, through the health gate.</summary>
    public DeploymentRecord Restart(string app)
    {
        var live = LiveDeployment(app);
        var build = store.FindBuild(live.BuildId!)!;
        var deployment = store.CreateDeployment(app, DeploymentKind.Restart, live.Source, live.BuildId, live.Id, live.SpecJson, live.ConfigJson, live.CommitSha);
        Launch(deployment, token => RunReleaseAsync(deployment, ReleaseOf(deployment, build.Dir), warmFrom: null, token));
        return deployment;
    }

    /// <summary>Cancels the app's running and queued deployments. Returns the ids cancelled.</summary>
    public IReadOnlyList<string> Cancel(string app)
    {
        RequireApp(app);
        var cancelled = new List<string>();
        foreach (var (id, entry) in _active)
        {
            if (entry.App == app)
            {
                entry.Cts.Cancel();
                cancelled.Add(id);
            }
        }
        return cancelled;
    }

    public async Task StopAppAsync(string app)
    {
        RequireApp(app);
        store.SetDesiredState(app, "stopped");
        await runtime.StopAppAsync(app);
        store.AddEvent(app, null, "app.stopped", "stopped by user");
    }

    public async Task StartAppAsync(string app, CancellationToken cancellationToken)
    {
        var live = LiveDeployment(app);
        store.SetDesiredState(app, "running");
        if (runtime.Serving(app) is not null)
        {
            return;
        }
        var build = store.FindBuild(live.BuildId!)!;
        var release = ReleaseOf(live, build.Dir);
        var set = runtime.StartInstances(release);
        var failure = await WaitHealthyAsync(set, cancellationToken);
        if (failure is not null)
        {
            await runtime.StopAppAsync(app);
            store.SetDesiredState(app, "stopped");
            throw new UserException($"{app} did not start: {failure.Message}\n{string.Join('\n', failure.LastLines.Select(l => "    " + l))}");
        }
        runtime.SwitchTo(app, set, Hosts(app));
        store.AddEvent(app, live.Id, "app.started", "started by user");
    }

    /// <summary>After a platform restart: start the live release again and route to it at once; instances join
    /// the rotation as they pass their health checks and restart per their policy if they fail.</summary>
    public void BringBack(string app)
    {
        var live = LiveDeployment(app);
        var build = live.BuildId is null ? null : store.FindBuild(live.BuildId);
        if (build is null || !Directory.Exists(build.Dir))
        {
            store.AddEvent(app, live.Id, "app.recovery-failed", $"the build of live deployment {live.Id} is missing; deploy again");
            return;
        }
        var set = runtime.StartInstances(ReleaseOf(live, build.Dir));
        runtime.SwitchTo(app, set, Hosts(app));
        store.AddEvent(app, live.Id, "app.recovered", $"started {set.Instances.Count} instance(s) of {live.Id} after a platform restart");
    }

    public async Task DestroyAsync(string app)
    {
        RequireApp(app);
        foreach (var id in Cancel(app))
        {
            if (_tasks.TryGetValue(id, out var task))
            {
                await task;
            }
        }
        await runtime.StopAppAsync(app);
        foreach (var build in store.ListBuilds(app))
        {
            DeleteDirectory(build.Dir);
        }
        DeleteDirectory(Path.Combine(options.BuildsDir, app));
        foreach (var d in store.ListDeployments(app, 100_000))
        {
            logs.Delete(LogKeys.Deployment(d.Id));
        }
        logs.Delete(LogKeys.App(app));
        store.DeleteApp(app);
    }

    public void SetHosts(string app, IReadOnlyList<string> hosts)
    {
        foreach (var host in hosts)
        {
            AppNames.ValidateHost(host);
        }
        store.SetHosts(app, JsonSerializer.Serialize(hosts.Select(h => h.ToLowerInvariant()).Distinct().ToList()));
        runtime.Reroute(app, Hosts(app));
    }

    public IReadOnlyList<string> Hosts(string app)
    {
        var record = store.FindApp(app);
        var extra = record is null ? [] : JsonSerializer.Deserialize<List<string>>(record.Hosts) ?? [];
        return [$"{app}.localhost", .. extra];
    }

    /// <summary>Waits for a deployment to reach a final state (tests, CLI without follow).</summary>
    public async Task WaitAsync(string deploymentId)
    {
        if (_tasks.TryGetValue(deploymentId, out var task))
        {
            await task;
        }
    }

    private void Launch(DeploymentRecord deployment, Func<CancellationToken, Task> run)
    {
        var cts = new CancellationTokenSource();
        _active[deployment.Id] = (deployment.App, cts);
        Status(deployment, DeploymentStatus.Queued, $"{deployment.Kind} {deployment.Id} queued");
        _tasks[deployment.Id] = Task.Run(async () =>
        {
            var gate = _appLocks.GetOrAdd(deployment.App, _ => new SemaphoreSlim(1, 1));
            var entered = false;
            try
            {
                if (!gate.Wait(0))
                {
                    Log(deployment, "deploy", "waiting for the app's previous deployment to finish (one at a time per app; 'slipway cancel' stops it)");
                    await gate.WaitAsync(cts.Token);
                }
                entered = true;
                await run(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                Fail(deployment, DeploymentStatus.Cancelled, store.FindDeployment(deployment.Id)?.Status ?? "queued", "cancelled by user", []);
            }
            catch (DeployFailure failure)
            {
                Fail(deployment, DeploymentStatus.Failed, failure.Step, failure.Message, failure.LastLines);
            }
            catch (UserException e)
            {
                Fail(deployment, DeploymentStatus.Failed, store.FindDeployment(deployment.Id)?.Status ?? "queued", e.Message, []);
            }
            catch (Exception e)
            {
                LogBug(logger, deployment.Id, e);
                Fail(deployment, DeploymentStatus.Failed, store.FindDeployment(deployment.Id)?.Status ?? "queued",
                    $"internal error: {e.Message} (details in the platform log)", []);
            }
            finally
            {
                if (entered)
                {
                    gate.Release();
                }
                _active.TryRemove(deployment.Id, out _);
                _tasks.TryRemove(deployment.Id, out _);
                cts.Dispose();
            }
        });
    }

    private async Task DeployAsync(DeploymentRecord deployment, DeployRequest request, CancellationToken token)
    {
        Status(deployment, DeploymentStatus.Building, "building");
        var buildId = Ids.New("b");
        var buildDir = Path.Combine(options.BuildsDir, request.App, buildId);
        string? commit;
        try
        {
            if (SourceSnapshot.IsGitUrl(request.Source) || request.Ref is not null)
            {
                commit = await SourceSnapshot.CloneAsync(request.Source, request.Ref, buildDir, line => Log(deployment, "build", line), token);
            }
            else
            {
                Log(deployment, "build", $"copying source from {request.Source}");
                commit = await SourceSnapshot.CopyLocalAsync(request.Source, buildDir, token);
            }
        }
        catch (UserException e)
        {
            throw new DeployFailure("build", e.Message, []);
        }
        store.InsertBuild(new BuildRecord(buildId, request.App, buildDir, request.Source, commit, store.Now(), 0));

        var spec = ManifestLoader.Load(buildDir) switch
        {
            ManifestResult.Ok ok => LogWarnings(deployment, ok),
            ManifestResult.Invalid invalid => throw new DeployFailure("manifest", invalid.Message, []),
            _ => throw new InvalidOperationException(),
        };
        Log(deployment, "build", $"{spec.Origin}: {string.Join(", ", spec.Services.Select(s => $"{s.Name} ({s.Type.ToString().ToLowerInvariant()})"))}");
        var config = CurrentConfig(request.App);
        store.SetDeploymentBuild(deployment.Id, buildId, JsonSerializer.Serialize(spec, Json), JsonSerializer.Serialize(config, Json), commit);

        var built = await builder.BuildAsync(deployment.Id, spec, buildDir,
            RuntimeEnvironment.ForBuild(request.App, options.EffectiveCacheDir, config), token);
        token.ThrowIfCancellationRequested();
        if (!built.Ok)
        {
            throw new DeployFailure(built.Step, built.Error, built.LastLines);
        }

        var release = new Release(request.App, deployment.Id, buildDir, spec, config);
        Status(deployment, DeploymentStatus.Releasing, "releasing");
        foreach (var service in spec.Services.Where(s => s.Release is not null))
        {
            var result = await steps.RunAsync(deployment.Id, "release", service.Name,
                new LaunchSpec(service.Release!, release.ServiceDir(service), RuntimeEnvironment.ForService(release.App, deployment.Id, service, config)),
                spec.Deploy.ReleaseTimeout, token);
            token.ThrowIfCancellationRequested();
            if (!result.Succeeded)
            {
                throw new DeployFailure("release", result.Describe($"{service.Name}: release command ({service.Release})") +
                    "; nothing was switched, the live version keeps serving", result.LastLines);
            }
        }
        await RunReleaseAsync(deployment, release, warmFrom: null, token);
    }

    /// <summary>starting ─► health-checking ─► switch ─► live, for a release that is already built.</summary>
    private async Task RunReleaseAsync(DeploymentRecord deployment, Release release, string? warmFrom, CancellationToken token)
    {
        var app = deployment.App;
        var warm = warmFrom is null ? null : runtime.TakeWarm(app, warmFrom);
        if (warm is not null)
        {
            Log(deployment, "deploy", $"instances of {warmFrom} are still warm and healthy: switching traffic to them");
            var serving = warm with { Release = release };
            if (release.Spec.Services.Any(s => s.Type == ServiceType.Worker))
            {
                var workers = runtime.StartInstances(release, s => s.Type == ServiceType.Worker);
                serving = serving with { Instances = [.. warm.Instances, .. workers.Instances] };
            }
            runtime.SwitchTo(app, serving, Hosts(app));
            GoLive(deployment);
            return;
        }

        Status(deployment, DeploymentStatus.Starting, "starting new instances beside the live ones");
        var set = runtime.StartInstances(release);
        try
        {
            Status(deployment, DeploymentStatus.HealthChecking, "waiting for health checks");
            var failure = await WaitHealthyAsync(set, token);
            if (failure is not null)
            {
                throw failure;
            }
            token.ThrowIfCancellationRequested();
        }
        catch
        {
            await runtime.StopInstancesAsync(set.Instances);
            throw;
        }
        runtime.SwitchTo(app, set, Hosts(app), keepWarm: deployment.Kind != DeploymentKind.Restart);
        GoLive(deployment);
    }

    private void GoLive(DeploymentRecord deployment)
    {
        store.MakeLive(deployment.App, deployment.Id);
        var urls = string.Join(", ", Hosts(deployment.App).Select(h => $"http://{h}:{options.HttpPort}"));
        store.AddEvent(deployment.App, deployment.Id, "deployment.live", $"{deployment.Kind} {deployment.Id} is live");
        PruneBuilds(deployment.App);
        Status(deployment, DeploymentStatus.Live, $"live at {urls}");
    }

    /// <summary>Null when every instance of the set passed its health check within its start timeout;
    /// otherwise the first failure with the instance's last log lines.</summary>
    private async Task<DeployFailure?> WaitHealthyAsync(ServingSet set, CancellationToken token)
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
                return new DeployFailure("health-check",
                    $"{name} did not pass its health check (GET {hc.Path}) within {Durations.Format(hc.StartTimeout)}" +
                    (instance.LastProbeDetail is { } d ? $": last probe: {d}" : "") +
                    "; the live version keeps serving", instance.RecentLines());
            }
            var outcome = await started;
            if (!outcome.Healthy)
            {
                return new DeployFailure("start", $"{name} {outcome.Detail} before becoming healthy; the live version keeps serving",
                    instance.RecentLines());
            }
        }
        return null;
    }

    private Release ReleaseOf(DeploymentRecord deployment, string buildDir)
    {
        var spec = JsonSerializer.Deserialize<AppSpec>(deployment.SpecJson!, Json)!;
        var config = JsonSerializer.Deserialize<Dictionary<string, string>>(deployment.ConfigJson ?? "{}", Json)!;
        return new Release(deployment.App, deployment.Id, buildDir, spec, config);
    }

    /// <summary>The app's config vars at deploy time. Recorded with the deployment so a rollback brings back
    /// exactly this config; the config issue fills it from encrypted per-environment vars.</summary>
    private static Dictionary<string, string> CurrentConfig(string app)
    {
        _ = app;
        return new Dictionary<string, string>();
    }

    private static bool DiffersFrom(DeploymentRecord candidate, DeploymentRecord? live) =>
        live is null || candidate.BuildId != live.BuildId || candidate.ConfigJson != live.ConfigJson;

    private AppRecord RequireApp(string app) =>
        store.FindApp(app) ?? throw new UserException($"No app named '{app}'. 'slipway apps' lists the apps; 'slipway deploy DIR --app {app}' creates it.", 404);

    private DeploymentRecord LiveDeployment(string app)
    {
        var record = RequireApp(app);
        return (record.LiveDeploymentId is { } id ? store.FindDeployment(id) : null)
            ?? throw new UserException($"App {app} has no live deployment yet. Deploy it first: slipway deploy DIR --app {app}");
    }

    private void PruneBuilds(string app)
    {
        var keep = store.ListDeployments(app, 100_000)
            .Where(d => d.LiveAt is not null && d.BuildId is not null)
            .OrderByDescending(d => d.LiveAt, StringComparer.Ordinal)
            .Select(d => d.BuildId!)
            .Distinct()
            .Take(options.KeepBuilds)
            .ToHashSet();
        var live = store.FindApp(app)?.LiveDeploymentId is { } liveId ? store.FindDeployment(liveId)?.BuildId : null;
        if (live is not null)
        {
            keep.Add(live);
        }
        foreach (var build in store.ListBuilds(app).Where(b => b.Pruned == 0 && !keep.Contains(b.Id)))
        {
            DeleteDirectory(build.Dir);
            store.MarkBuildPruned(build.Id);
        }
    }

    private static void DeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private AppSpec LogWarnings(DeploymentRecord deployment, ManifestResult.Ok ok)
    {
        foreach (var warning in ok.Warnings)
        {
            Log(deployment, "build", "warning: " + warning);
        }
        return ok.Spec;
    }

    private void Status(DeploymentRecord deployment, string status, string message)
    {
        if (status != DeploymentStatus.Queued && status != DeploymentStatus.Live)
        {
            store.SetDeploymentStatus(deployment.Id, status);
        }
        Log(deployment, "deploy", message);
        logs.Append(LogKeys.Deployment(deployment.Id), new LogEntry(clock.GetUtcNow(), "status", status, deployment.Id));
    }

    private void Fail(DeploymentRecord deployment, string status, string step, string error, IReadOnlyList<string> lastLines)
    {
        store.FailDeployment(deployment.Id, status, step, error);
        store.AddEvent(deployment.App, deployment.Id, "deployment." + status, $"{step}: {error}");
        Log(deployment, "deploy", $"{status} at {step}: {error}");
        foreach (var line in lastLines)
        {
            Log(deployment, "tail", line);
        }
        logs.Append(LogKeys.Deployment(deployment.Id), new LogEntry(clock.GetUtcNow(), "status", status, deployment.Id));
    }

    private void Log(DeploymentRecord deployment, string kind, string message) =>
        logs.Append(LogKeys.Deployment(deployment.Id), new LogEntry(clock.GetUtcNow(), kind, message, deployment.Id));

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {DeploymentId} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string deploymentId, Exception exception);
}
