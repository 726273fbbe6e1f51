using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Slipway.Builds;
using Slipway.Config;
using Slipway.Hosting;
using Slipway.Manifests;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Runs deployments, one at a time per app (<see cref="AppLocks"/>), through their steps:
///
///   queued ─► building ─► releasing ─► starting ─► health-checking ─► live
///     (snapshot, manifest,   (release command     (new instances on     (all healthy: route swap,
///      install, build)        against new build)   fresh ports)          old set drains, kept warm)
///
/// Any failure or cancellation stops the new instances and leaves the live version untouched. Rollbacks and
/// restarts skip straight to starting with an earlier build and its recorded config; their target is fixed
/// when they run, under the app's lock, so a queued one never undoes a deployment that finished before it.</summary>
internal sealed partial class DeployEngine(
    Store store,
    AppRuntime runtime,
    AppLocks locks,
    AppHosts hosts,
    BuildDirectories builds,
    Builder builder,
    StepRunner steps,
    LogStore logs,
    ConfigVars configVars,
    SecretRedactor redactor,
    Databases.DatabaseProvisioner databases,
    PlatformOptions options,
    TimeProvider clock,
    ILogger<DeployEngine> logger)
{
    private readonly ConcurrentDictionary<string, (string App, CancellationTokenSource Cts, Task Run)> _active = new();

    /// <summary>Validates what can be validated at once (app name, hostnames, local source and its manifest),
    /// then queues the deployment and returns it; progress is in its log.</summary>
    public DeploymentRecord Enqueue(DeployRequest request)
    {
        AppNames.Validate(request.BaseApp);
        hosts.Validate(request.App, request.Hosts ?? []);
        var isGit = SourceSnapshot.IsGitUrl(request.Source) || request.Ref is not null;
        if (!isGit)
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
                case ManifestResult.Ok ok when CheckConfig(request.App, ok.Spec with { Variables = [.. ok.Spec.Variables.Where(v => ok.Spec.Databases.All(d => d.Var != v.Name))] },
                    request.BaseApp, request.Env) is { Count: > 0 } problems:
                    throw new UserException(ConfigProblems(request.App, problems));
            }
        }
        store.EnsureApp(request.App, request.BaseApp, request.Env);
        var deployment = store.CreateDeployment(request.App, DeploymentKind.Deploy, request.Source + (request.Ref is null ? "" : "#" + request.Ref), null, null);
        Launch(deployment, token => DeployAsync(deployment, request, token));
        return deployment;
    }

    /// <summary>Back to <paramref name="toId"/>, or to the deployment that was live before the current one.</summary>
    public DeploymentRecord Rollback(string app, string? toId)
    {
        var (target, _) = RollbackTargets.Resolve(store, builds, app, toId, options.KeepBuilds);
        var deployment = store.CreateDeployment(app, DeploymentKind.Rollback, target.Source, target.BuildId, target.Id, target.SpecJson, target.ConfigJson, target.CommitSha);
        Launch(deployment, async token =>
        {
            var (now, build) = RollbackTargets.Resolve(store, builds, app, toId, options.KeepBuilds);
            store.RetargetDeployment(deployment.Id, now);
            await RunReleaseAsync(deployment, Release.Of(now, builds.DirOf(build), configVars.Open(app, now.ConfigJson), deployment.Id), warmFrom: now.Id, newHosts: null, token);
        });
        return deployment;
    }

    /// <summary>Fresh instances of the live release, through the health gate.</summary>
    public DeploymentRecord Restart(string app)
    {
        var live = AppErrors.Live(store, app);
        var deployment = store.CreateDeployment(app, DeploymentKind.Restart, live.Source, live.BuildId, live.Id, live.SpecJson, live.ConfigJson, live.CommitSha);
        Launch(deployment, async token =>
        {
            var now = AppErrors.Live(store, app);
            var build = store.FindBuild(now.BuildId!) ?? throw new UserException($"The build of live deployment {now.Id} is missing; deploy again.");
            store.RetargetDeployment(deployment.Id, now);
            await RunReleaseAsync(deployment, Release.Of(now, builds.DirOf(build), configVars.Open(app, now.ConfigJson), deployment.Id), warmFrom: null, newHosts: null, token);
        });
        return deployment;
    }

    /// <summary>After `env set` / `env unset`: the live build again with the app's current config, through the
    /// health gate (like Heroku's config releases). The replaced release stays warm, so a rollback brings the
    /// old config back at once.</summary>
    public DeploymentRecord ApplyConfig(string app)
    {
        var live = AppErrors.Live(store, app);
        var deployment = store.CreateDeployment(app, DeploymentKind.Config, live.Source, live.BuildId, live.Id, live.SpecJson, live.ConfigJson, live.CommitSha, live.ConfigHash);
        Launch(deployment, async token =>
        {
            var now = AppErrors.Live(store, app);
            var build = store.FindBuild(now.BuildId!) ?? throw new UserException($"The build of live deployment {now.Id} is missing; deploy again.");
            var spec = JsonSerializer.Deserialize<AppSpec>(now.SpecJson!, Release.Json)!;
            if (CheckConfig(app, spec) is { Count: > 0 } problems)
            {
                throw new DeployFailure("config", ConfigProblems(app, problems), []);
            }
            var snapshot = ConfigSchema.WithDefaults(spec.Variables, configVars.Snapshot(app));
            var changedForBuild = BuildTimeChanges(spec, configVars.Open(app, now.ConfigJson), snapshot);
            if (changedForBuild.Count > 0)
            {
                if (Directory.Exists(builds.SourceOf(build)))
                {
                    // A build-time variable is baked into the build's output (a Vite or Next bundle): restarting
                    // would serve the old value, so the same source is built again.
                    Log(deployment, "deploy", $"{string.Join(", ", changedForBuild)} changed and the build uses it: rebuilding");
                    var record = store.FindApp(app)!;
                    await DeployAsync(deployment, new DeployRequest(app, now.Source) { BaseApp = record.App, Env = record.Env, FromBuild = build }, token);
                    return;
                }
                Log(deployment, "deploy", $"{string.Join(", ", changedForBuild)} changed but build {build.Id} predates kept sources: deploy the source again to rebuild");
            }
            var (sealedConfig, fingerprint) = configVars.Seal(snapshot);
            store.RetargetDeployment(deployment.Id, now);
            store.SetDeploymentConfig(deployment.Id, sealedConfig, fingerprint);
            Log(deployment, "deploy", $"new config ({snapshot.Vars.Count} variable(s)) on the build of {now.Id}");
            await RunReleaseAsync(deployment, Release.Of(now, builds.DirOf(build), snapshot, deployment.Id), warmFrom: null, newHosts: null, token);
        });
        return deployment;
    }

    /// <summary>Cancels the app's running and queued deployments. Returns the ids cancelled.</summary>
    public IReadOnlyList<string> Cancel(string app)
    {
        AppErrors.Require(store, app);
        return CancelActive(app).Select(a => a.Id).ToList();
    }

    /// <summary>Cancels the app's deployments and waits until each has stopped its steps and instances.</summary>
    public async Task CancelAndWaitAsync(string app) => await Task.WhenAll(CancelActive(app).Select(a => a.Run));

    /// <summary>Platform shutdown: no deployment may go on starting instances behind it.</summary>
    public async Task CancelAllAsync() => await Task.WhenAll(CancelActive(null).Select(a => a.Run));

    /// <summary>Waits for a deployment to reach a final state (tests).</summary>
    public async Task WaitAsync(string deploymentId)
    {
        if (_active.TryGetValue(deploymentId, out var active))
        {
            await active.Run;
        }
    }

    private List<(string Id, Task Run)> CancelActive(string? app)
    {
        var cancelled = new List<(string, Task)>();
        foreach (var (id, entry) in _active)
        {
            if (app is null || entry.App == app)
            {
                entry.Cts.Cancel();
                cancelled.Add((id, entry.Run));
            }
        }
        return cancelled;
    }

    private void Launch(DeploymentRecord deployment, Func<CancellationToken, Task> run)
    {
        // Not disposed: Cancel may still hold it after the deployment ends; it owns no timer, so the GC suffices.
        var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        Status(deployment, DeploymentStatus.Queued, $"{deployment.Kind} {deployment.Id} queued");
        var task = Task.Run(async () =>
        {
            await started.Task;
            var entered = false;
            try
            {
                if (!locks.TryEnter(deployment.App))
                {
                    Log(deployment, "deploy", "waiting for the app's previous deployment or operation to finish (one at a time per app; 'slipway cancel' stops it)");
                    await locks.EnterAsync(deployment.App, cts.Token);
                }
                entered = true;
                if (store.FindDeployment(deployment.Id) is null)
                {
                    return; // the app was destroyed while this waited
                }
                await run(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                Fail(deployment, DeploymentStatus.Cancelled, CurrentStep(deployment), "cancelled", []);
            }
            catch (DeployFailure failure)
            {
                Fail(deployment, DeploymentStatus.Failed, failure.Step, failure.Message, failure.LastLines);
            }
            catch (UserException e)
            {
                Fail(deployment, DeploymentStatus.Failed, CurrentStep(deployment), e.Message, []);
            }
            catch (Exception e)
            {
                LogBug(logger, deployment.Id, e);
                Fail(deployment, DeploymentStatus.Failed, CurrentStep(deployment), $"internal error: {e.Message} (details in the platform log)", []);
            }
            finally
            {
                if (entered)
                {
                    locks.Exit(deployment.App);
                }
                _active.TryRemove(deployment.Id, out _);
            }
        });
        _active[deployment.Id] = (deployment.App, cts, task);
        started.SetResult();
    }

    private string CurrentStep(DeploymentRecord deployment) => store.FindDeployment(deployment.Id)?.Status ?? DeploymentStatus.Queued;

    private async Task DeployAsync(DeploymentRecord deployment, DeployRequest request, CancellationToken token)
    {
        Status(deployment, DeploymentStatus.Building, "building");
        var buildId = Ids.New("b");
        var buildDir = builds.PathFor(request.App, buildId);
        string? commit;
        try
        {
            if (request.FromBuild is { } earlier)
            {
                Log(deployment, "build", $"rebuilding the source of build {earlier.Id} ({request.Source})");
                await SourceSnapshot.CopyLocalAsync(builds.SourceOf(earlier), buildDir, token);
                commit = earlier.CommitSha;
            }
            else if (SourceSnapshot.IsGitUrl(request.Source) || request.Ref is not null)
            {
                commit = await SourceSnapshot.CloneAsync(request.Source, request.Ref, buildDir, line => Log(deployment, "build", line), token);
            }
            else
            {
                Log(deployment, "build", $"copying source from {request.Source}");
                commit = await SourceSnapshot.CopyLocalAsync(request.Source, buildDir, token);
            }
        }
        catch (Exception e)
        {
            builds.Discard(buildDir);
            if (e is UserException)
            {
                throw new DeployFailure("build", e.Message, []);
            }
            throw;
        }
        // Keep the source as it was before install and build touch it, for rebuilds.
        await SourceSnapshot.CopyLocalAsync(buildDir, buildDir + BuildDirectories.SourceSuffix, token);
        store.InsertBuild(new BuildRecord(buildId, request.App, buildDir, request.Source, commit, store.Now(), 0));

        var spec = ManifestLoader.Load(buildDir) switch
        {
            ManifestResult.Ok ok => LogWarnings(deployment, ok),
            ManifestResult.Invalid invalid => throw new DeployFailure("manifest", invalid.Message, []),
            _ => throw new InvalidOperationException(),
        };
        Log(deployment, "build", $"{spec.Origin}: {string.Join(", ", spec.Services.Select(s => $"{s.Name} ({s.Type.ToString().ToLowerInvariant()})"))}");
        // Databases exist (and their URLs are config) before the config is checked and the release command runs.
        await databases.PrepareAsync(request.App, request.BaseApp, request.Env, spec.Databases, line => Log(deployment, "databases", line), token);
        if (CheckConfig(request.App, spec, request.BaseApp, request.Env) is { Count: > 0 } problems)
        {
            throw new DeployFailure("config", ConfigProblems(request.App, problems), []);
        }
        var snapshot = ConfigSchema.WithDefaults(spec.Variables, configVars.Snapshot(request.App));
        var config = snapshot.Vars;
        var (sealedConfig, fingerprint) = configVars.Seal(snapshot);
        store.SetDeploymentBuild(deployment.Id, buildId, JsonSerializer.Serialize(spec, Release.Json), sealedConfig, fingerprint, commit);

        // Builds get the non-secret config only: a secret must never be inlined into a browser bundle.
        var buildConfig = config.Where(kv => !snapshot.Secrets.Contains(kv.Key)).ToDictionary();
        var built = await builder.BuildAsync(request.App, deployment.Id, spec, buildDir,
            RuntimeEnvironment.ForBuild(request.App, options.EffectiveCacheDir, buildConfig), token);
        token.ThrowIfCancellationRequested();
        if (!built.Ok)
        {
            throw new DeployFailure(built.Step, built.Error, built.LastLines);
        }

        var release = new Release(request.App, deployment.Id, buildDir, spec, config);
        await RunReleaseCommandsAsync(deployment, release, token);
        await RunReleaseAsync(deployment, release, warmFrom: null, request.Hosts, token);
    }

    /// <summary>releasing: each service's release command, once, in the new build with the new config.</summary>
    private async Task RunReleaseCommandsAsync(DeploymentRecord deployment, Release release, CancellationToken token)
    {
        Status(deployment, DeploymentStatus.Releasing, "releasing");
        foreach (var service in release.Spec.Services.Where(s => s.Release is not null))
        {
            var result = await steps.RunAsync(release.App, deployment.Id, "release", service.Name,
                new LaunchSpec(service.Release!, release.ServiceDir(service), runtime.EnvironmentOf(release, service)),
                release.Spec.Deploy.ReleaseTimeout, token);
            token.ThrowIfCancellationRequested();
            if (!result.Succeeded)
            {
                throw new DeployFailure("release", result.Describe($"{service.Name}: release command ({service.Release})") +
                    "; nothing was switched, the live version keeps serving", result.LastLines);
            }
        }
    }

    /// <summary>The exact build live in <paramref name="fromEnv"/> goes to <paramref name="toEnv"/> with that
    /// environment's config: no rebuild, the release command runs (against the target's database), then the
    /// usual health gate.</summary>
    public DeploymentRecord Promote(string app, string fromEnv, string toEnv)
    {
        var fromKey = AppEnvironments.Key(app, fromEnv);
        var toKey = AppEnvironments.Key(app, toEnv);
        if (fromKey == toKey)
        {
            throw new UserException($"--from and --to are both {fromEnv}; promote moves a build from one environment to another.");
        }
        var source = AppErrors.Live(store, fromKey);
        store.EnsureApp(toKey, app, toEnv);
        var deployment = store.CreateDeployment(toKey, DeploymentKind.Promote, source.Source, source.BuildId, source.Id, source.SpecJson, null, source.CommitSha);
        Launch(deployment, async token =>
        {
            var now = AppErrors.Live(store, fromKey);
            var build = store.FindBuild(now.BuildId!);
            if (build is null || build.Pruned != 0 || !Directory.Exists(builds.DirOf(build)))
            {
                throw new UserException($"The build of {fromEnv}'s live deployment {now.Id} is gone; deploy {fromEnv} again, then promote.");
            }
            var spec = JsonSerializer.Deserialize<AppSpec>(now.SpecJson!, Release.Json)!;
            await databases.PrepareAsync(toKey, app, toEnv, spec.Databases, line => Log(deployment, "databases", line), token);
            var problems = CheckConfig(toKey, spec, app, toEnv);
            if (problems.Count > 0)
            {
                throw new DeployFailure("config", ConfigProblems(toKey, problems), []);
            }
            var snapshot = ConfigSchema.WithDefaults(spec.Variables, configVars.Snapshot(toKey));
            var bakedIn = BuildTimeChanges(spec, configVars.Open(fromKey, now.ConfigJson), snapshot);
            if (bakedIn.Count > 0)
            {
                // The build carries fromEnv's values of these in its bundle: shipping it as is would point
                // toEnv's users at fromEnv (its API URL, its keys). The same source is built with toEnv's config.
                if (!Directory.Exists(builds.SourceOf(build)))
                {
                    throw new UserException($"{string.Join(", ", bakedIn)} differ between {fromEnv} and {toEnv} and are built into the bundle, " +
                        $"but build {build.Id} keeps no source to rebuild: deploy the source to {toEnv} instead.");
                }
                Log(deployment, "deploy", $"{string.Join(", ", bakedIn)} differ in {toEnv} and are built into the bundle: building {fromEnv}'s source again for {toEnv}");
                await DeployAsync(deployment, new DeployRequest(toKey, now.Source) { BaseApp = app, Env = toEnv, FromBuild = build }, token);
                return;
            }
            var (sealedConfig, fingerprint) = configVars.Seal(snapshot);
            store.RetargetDeployment(deployment.Id, now);
            store.SetDeploymentConfig(deployment.Id, sealedConfig, fingerprint);
            Log(deployment, "deploy", $"promoting build {build.Id} of {fromEnv} ({now.Id}) to {toEnv}, with {toEnv}'s config");
            var release = new Release(toKey, deployment.Id, builds.DirOf(build), spec, snapshot.Vars);
            await RunReleaseCommandsAsync(deployment, release, token);
            await RunReleaseAsync(deployment, release, warmFrom: null, newHosts: null, token);
        });
        return deployment;
    }

    /// <summary>starting ─► health-checking ─► switch ─► live, for a release that is already built.</summary>
    private async Task RunReleaseAsync(DeploymentRecord deployment, Release release, string? warmFrom, IReadOnlyList<string>? newHosts, CancellationToken token)
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
            runtime.SwitchTo(app, serving, hosts.For(app));
            GoLive(deployment);
            return;
        }

        Status(deployment, DeploymentStatus.Starting, "starting new instances beside the live ones");
        var set = runtime.StartInstances(release);
        try
        {
            Status(deployment, DeploymentStatus.HealthChecking, "waiting for health checks");
            var failure = await runtime.WaitHealthyAsync(set, token);
            if (failure is not null)
            {
                throw failure;
            }
            token.ThrowIfCancellationRequested();
            if (newHosts is not null)
            {
                // Hostnames change with the version that brings them, never before it is known to be good.
                hosts.Set(app, newHosts);
            }
            runtime.SwitchTo(app, set, hosts.For(app), keepWarm: deployment.Kind != DeploymentKind.Restart);
        }
        catch
        {
            await runtime.StopInstancesAsync(set.Instances);
            throw;
        }
        GoLive(deployment);
    }

    private void GoLive(DeploymentRecord deployment)
    {
        store.MakeLive(deployment.App, deployment.Id);
        var urls = string.Join(", ", hosts.For(deployment.App).Select(h => $"http://{h}:{options.HttpPort}"));
        store.AddEvent(deployment.App, deployment.Id, "deployment.live", $"{deployment.Kind} {deployment.Id} is live");
        builds.Prune(deployment.App);
        PruneDeploymentLogs(deployment.App);
        Status(deployment, DeploymentStatus.Live, $"live at {urls}");
    }

    /// <summary>History rows stay; the build and release logs of all but the last 100 deployments go.</summary>
    private void PruneDeploymentLogs(string app)
    {
        foreach (var old in store.ListDeployments(app, 100_000).Skip(KeptDeploymentLogs))
        {
            logs.Delete(LogKeys.Deployment(app, old.Id));
        }
    }

    private const int KeptDeploymentLogs = 100;

    /// <summary>Build-time variables (browser prefixes, or declared "build": true) whose value differs.</summary>
    private static List<string> BuildTimeChanges(AppSpec spec, ConfigSnapshot live, ConfigSnapshot next)
    {
        var declared = spec.Variables.Where(v => v.Build).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        return live.Vars.Keys.Union(next.Vars.Keys)
            .Where(name => ConfigSchema.IsBrowserVariable(name) || declared.Contains(name))
            .Where(name => live.Vars.GetValueOrDefault(name) != next.Vars.GetValueOrDefault(name))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The environment's config against the spec's variables; fix commands name the app and --env.</summary>
    private IReadOnlyList<string> CheckConfig(string key, AppSpec spec, string? app = null, string? env = null)
    {
        var record = store.FindApp(key);
        app ??= record?.App ?? key;
        env ??= record?.Env ?? AppEnvironments.Production;
        var target = env == AppEnvironments.Production ? app : $"{app} --env {env}";
        return ConfigSchema.Check(target, spec.Variables, configVars.Snapshot(key, (app, env)), env);
    }

    private static string ConfigProblems(string app, IReadOnlyList<string> problems) =>
        $"Not deployed: the config of {app} does not satisfy slipway.json's variables ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}; the live version keeps serving):\n" +
        string.Join("\n", problems.Select(p => "  - " + p));

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
        logs.Append(LogKeys.Deployment(deployment.App, deployment.Id), new LogEntry(clock.GetUtcNow(), "status", status, deployment.Id));
    }

    private void Fail(DeploymentRecord deployment, string status, string step, string error, IReadOnlyList<string> lastLines)
    {
        error = redactor.Redact(deployment.App, error);
        store.FailDeployment(deployment.Id, status, step, error);
        store.AddEvent(deployment.App, deployment.Id, "deployment." + status, $"{step}: {error}");
        Log(deployment, "deploy", $"{status} at {step}: {error}");
        foreach (var line in lastLines)
        {
            Log(deployment, "tail", line);
        }
        logs.Append(LogKeys.Deployment(deployment.App, deployment.Id), new LogEntry(clock.GetUtcNow(), "status", status, deployment.Id));
    }

    private void Log(DeploymentRecord deployment, string kind, string message) =>
        logs.Append(LogKeys.Deployment(deployment.App, deployment.Id), new LogEntry(clock.GetUtcNow(), kind, message, deployment.Id));

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {DeploymentId} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string deploymentId, Exception exception);
}
