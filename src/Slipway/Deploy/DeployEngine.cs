using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Slipway.Builds;
using Slipway.Config;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Takes deployment requests, queues them one at a time per app (<see cref="AppLocks"/>), and runs each
/// as plan, then rollout:
///
///   request ─► checks ─► record (queued) ─► lock ─► BuildPhase (deploy) or ReleasePlanner (every other kind)
///                                                        ─► release command (deploy, promote) ─► Rollout ─► live
///
/// Any failure or cancellation stops the new instances and leaves the live version untouched. Rollbacks and
/// restarts pick their target when they run, under the app's lock, so a queued one never undoes a deployment
/// that finished before it.</summary>
internal sealed partial class DeployEngine(
    Store store,
    AppLocks locks,
    AppHosts hosts,
    RecordedReleases recorded,
    BuildDirectories builds,
    DeployConfig config,
    BuildPhase buildPhase,
    ReleaseCommands releaseCommands,
    Rollout rollout,
    DeploymentJournal journal,
    ConfigVars configVars,
    IEnvironmentResources resources,
    DeployOptions options,
    ILogger<DeployEngine> logger)
{
    // Queued and running deployments. AppStopping is cancelled (before Cts) when a deployment is cancelled because the
    // app stops with it (stop, destroy, platform shutdown) rather than by `slipway cancel`: then its rollout leaves
    // the live workers it stopped first stopped.
    private readonly ConcurrentDictionary<string, (string App, CancellationTokenSource Cts, CancellationTokenSource AppStopping, Task Run)> _active = new();

    /// <summary>Validates what can be validated at once (app name, hostnames, local source and its manifest),
    /// then queues the deployment and returns it; progress is in its log.</summary>
    public DeploymentRecord Enqueue(DeployRequest request)
    {
        AppNames.Validate(request.Target.App);
        hosts.Validate(request.Target.Key, request.Hosts ?? []);
        if (request.FromBuild is { } kept)
        {
            config.CheckLocalSource(request with { Source = builds.SourceOf(kept) });
        }
        else if (!SourceSnapshot.IsGitUrl(request.Source) && request.Ref is null)
        {
            config.CheckLocalSource(request);
        }
        store.EnsureApp(request.Target);
        var deployment = store.CreateDeployment(request.Target.Key, DeploymentKind.Deploy,
            request.Shown ?? request.Source + (request.Ref is null ? "" : "#" + request.Ref), null, request.RedeployOf, commit: request.Commit,
            requestedBy: request.RequestedBy);
        Launch(deployment, async token => await ReleaseAsync(deployment, await buildPhase.RunAsync(deployment, request, token), token));
        return deployment;
    }

    /// <summary>`slipway redeploy`: the kept pristine source of <paramref name="fromId"/> (default: the live deployment)
    /// built again as a new deployment, with the environment's config as it is now. A 409 when that source is gone.</summary>
    public DeploymentRecord Redeploy(AppRef owner, string? fromId, string requestedBy)
    {
        var record = AppErrors.Require(store, owner);
        var target = RedeployTargets.Resolve(store.ListDeployments(owner.Key, 100_000), record.LiveDeploymentId, owner, fromId);
        var build = KeptSource(target) ?? throw RedeployTargets.SourceGone(target, owner, options.KeepBuilds);
        return Enqueue(new DeployRequest(owner, target.Source)
        {
            FromBuild = build, Shown = target.Source, Commit = target.Commit, RequestedBy = requestedBy, RedeployOf = target.Id,
        });
    }

    /// <summary>The build of <paramref name="deployment"/> when the pristine source beside it is still there.</summary>
    public BuildRecord? KeptSource(DeploymentRecord deployment) =>
        deployment.BuildId is { } id && store.FindBuild(id) is { } build && builds.IsUsable(build) && Directory.Exists(builds.SourceOf(build))
            ? build
            : null;

    /// <summary>Back to <paramref name="toId"/>, or to the deployment that was live before the current one.</summary>
    public DeploymentRecord Rollback(AppRef owner, string? toId, string requestedBy)
    {
        var app = owner.Key;
        var target = RollbackTargets.Resolve(store, owner, toId);
        recorded.RequireUsable(target, Pruned(target));
        var deployment = store.CreateDeployment(app, DeploymentKind.Rollback, target.Source, target.BuildId, target.Id,
            target.SpecJson, target.ConfigJson, target.Commit, requestedBy: requestedBy);
        Launch(deployment, token =>
        {
            var now = RollbackTargets.Resolve(store, owner, toId);
            var release = recorded.Load(now, Pruned(now));
            // What the replaced release runs with: a saved value that differs from it was changed since (perhaps
            // while this rollback waited), and the write-back keeps it.
            var replaced = store.FindApp(app)?.LiveDeploymentId is { } liveId && store.FindDeployment(liveId) is { } live
                ? configVars.Open(app, live.ConfigJson)
                : null;
            return ExecuteAsync(deployment, ReleasePlanner.Rollback(deployment.Id, release), token, () => WriteBackConfig(deployment, release, replaced));
        });
        return deployment;
    }

    /// <summary>A rollback went live: the environment's saved config becomes the config it runs with, so the next
    /// `env set` builds on what is live. Names only in the log, never values; shared vars are only warned about.</summary>
    private void WriteBackConfig(DeploymentRecord deployment, RecordedRelease release, ConfigSnapshot? replaced)
    {
        try
        {
            var written = configVars.WriteBack(store.RefOf(deployment.App), release.Config, release.Spec.Variables, replaced,
                resources.VariablesOf(deployment.App));
            journal.Log(deployment, "deploy", written.Changes.Count == 0
                ? "the saved config already is the config this release runs with"
                : $"the saved config is now the config this release runs with: {string.Join(" ", written.Changes)}");
            foreach (var warning in written.Warnings)
            {
                journal.Log(deployment, "deploy", "warning: " + warning);
            }
        }
        catch (Exception e)
        {
            // The rollback serves already; failing it now would not take traffic back.
            LogWriteBackBug(logger, deployment.Id, e);
            journal.Log(deployment, "deploy", "warning: the saved config could not be made this release's (details in the platform log); " +
                $"'slipway env diff {store.RefOf(deployment.App).Flags}' shows how they differ");
        }
    }

    /// <summary>Fresh instances of the live release, through the health gate.</summary>
    public DeploymentRecord Restart(string app, string requestedBy)
    {
        var deployment = CreateFromLive(app, DeploymentKind.Restart, requestedBy);
        Launch(deployment, token => ExecuteAsync(deployment, ReleasePlanner.Restart(deployment.Id, recorded.Live(app)), token));
        return deployment;
    }

    /// <summary>After `env set` / `env unset`: the live build again with the app's current config, through the
    /// health gate (like Heroku's config releases). The replaced release stays warm, so a rollback brings the
    /// old config back at once.</summary>
    public DeploymentRecord ApplyConfig(string app, string requestedBy)
    {
        var deployment = CreateFromLive(app, DeploymentKind.Config, requestedBy);
        Launch(deployment, async token =>
        {
            var live = recorded.Live(app);
            var plan = ReleasePlanner.ConfigChange(deployment.Id, live, config.Checked(store.RefOf(app), live.Spec));
            if (plan is ReleasePlan.Rebuild rebuild)
            {
                // A rebuild is a deployment from source: the environment's databases are prepared first (a URL
                // unset by hand comes back), and the config they give is checked again.
                var record = AppErrors.Require(store, store.RefOf(app));
                plan = rebuild with { Config = await config.PrepareAsync(record.Ref, live.Spec, line => journal.Log(deployment, "databases", line), token) };
            }
            await ExecuteAsync(deployment, plan, token);
        });
        return deployment;
    }

    /// <summary>The exact build live in <paramref name="fromEnv"/> goes to <paramref name="toEnv"/> with that
    /// environment's config: no rebuild, the release command runs (against the target's database), then the
    /// usual health gate. A target environment that does not exist is created only with <paramref name="create"/>:
    /// a mistyped --to must not start a new environment.</summary>
    public DeploymentRecord Promote(string app, string fromEnv, string toEnv, string requestedBy, bool create = false)
    {
        var (from, to) = (AppRef.Of(app, fromEnv), AppRef.Of(app, toEnv));
        var (fromKey, toKey) = (from.Key, to.Key);
        if (fromKey == toKey)
        {
            throw new UserException($"--from and --to are both {fromEnv}; promote moves a build from one environment to another.");
        }
        AppErrors.Require(store, from);
        if (store.FindApp(toKey) is null && !create)
        {
            throw AppErrors.NoApp(store, to, $"To create environment {toEnv} with {fromEnv}'s build, add --create: " +
                $"slipway promote --app {app} --from {fromEnv} --to {toEnv} --create");
        }
        var source = recorded.LiveOf(fromKey);
        store.EnsureApp(to);
        var deployment = store.CreateDeployment(toKey, DeploymentKind.Promote, source.Source, source.BuildId, source.Id, source.SpecJson, null, source.Commit,
            requestedBy: requestedBy);
        Launch(deployment, async token =>
        {
            var live = recorded.Live(fromKey, id => $"The build of {fromEnv}'s live deployment {id} is gone; deploy {fromEnv} again, then promote.");
            var next = await config.PrepareAsync(to, live.Spec, line => journal.Log(deployment, "databases", line), token);
            await ExecuteAsync(deployment, ReleasePlanner.Promote(deployment.Id, toKey, live, next, fromEnv, toEnv), token);
        });
        return deployment;
    }

    /// <summary>Cancels the app's running and queued deployments (`slipway cancel`: the live version goes on as
    /// before). Returns the ids cancelled.</summary>
    public IReadOnlyList<string> Cancel(AppRef owner)
    {
        AppErrors.Require(store, owner);
        return CancelActive(owner.Key, appStopping: false).Select(a => a.Id).ToList();
    }

    /// <summary>Cancels one running or queued deployment (a push whose pusher went away); false when it has ended.</summary>
    public bool CancelOne(string deploymentId)
    {
        if (!_active.TryGetValue(deploymentId, out var active))
        {
            return false;
        }
        active.Cts.Cancel();
        return true;
    }

    /// <summary>The app is being stopped or destroyed: cancels its deployments and waits until each has stopped its
    /// steps and instances (live workers a rollout stopped first stay stopped).</summary>
    public async Task CancelAndWaitAsync(string app) => await Task.WhenAll(CancelActive(app, appStopping: true).Select(a => a.Run));

    /// <summary>Platform shutdown: no deployment may go on starting instances behind it.</summary>
    public async Task CancelAllAsync() => await Task.WhenAll(CancelActive(null, appStopping: true).Select(a => a.Run));

    /// <summary>Waits for a deployment to reach a final state (tests).</summary>
    public async Task WaitAsync(string deploymentId)
    {
        if (_active.TryGetValue(deploymentId, out var active))
        {
            await active.Run;
        }
    }

    private string Pruned(DeploymentRecord target) =>
        $"The build of deployment {target.Id} has been pruned (only the last {options.KeepBuilds} are kept). Deploy its source again instead.";

    private DeploymentRecord CreateFromLive(string app, DeploymentKind kind, string requestedBy)
    {
        var live = recorded.LiveOf(app);
        return store.CreateDeployment(app, kind, live.Source, live.BuildId, live.Id, live.SpecJson, live.ConfigJson, live.Commit,
            kind == DeploymentKind.Config ? live.ConfigHash : null, requestedBy);
    }

    /// <summary>Carries out a plan: records what the deployment reuses and the config it runs with, or builds again;
    /// <paramref name="wentLive"/> runs when it is live.</summary>
    private async Task ExecuteAsync(DeploymentRecord deployment, ReleasePlan plan, CancellationToken token, Action? wentLive = null)
    {
        switch (plan)
        {
            case ReleasePlan.Rebuild rebuild:
                journal.Log(deployment, "deploy", rebuild.Reason);
                var request = new DeployRequest(store.RefOf(deployment.App), rebuild.From.Deployment.Source)
                {
                    FromBuild = rebuild.From.Build, Spec = rebuild.From.Spec, CheckedConfig = rebuild.Config,
                };
                await ReleaseAsync(deployment, await buildPhase.RunAsync(deployment, request, token), token);
                return;
            case ReleasePlan.Run run:
                foreach (var note in run.Notes)
                {
                    journal.Log(deployment, "deploy", note);
                }
                store.RetargetDeployment(deployment.Id, run.From);
                if (run.NewConfig is not null)
                {
                    var (sealedConfig, fingerprint) = config.Seal(run.NewConfig);
                    store.SetDeploymentConfig(deployment.Id, sealedConfig, fingerprint);
                }
                await ReleaseAsync(deployment, run.Release, token, wentLive);
                return;
        }
    }

    private async Task ReleaseAsync(DeploymentRecord deployment, Release release, CancellationToken token, Action? wentLive = null)
    {
        if (release.RunsReleaseCommand)
        {
            await releaseCommands.RunAsync(deployment, release, token);
        }
        // Every run is in _active while it runs (Launch adds it before the run starts).
        var appStopping = _active.TryGetValue(deployment.Id, out var active) ? active.AppStopping.Token : CancellationToken.None;
        await rollout.RunAsync(release, deployment, token, appStopping, wentLive);
    }

    private List<(string Id, Task Run)> CancelActive(string? app, bool appStopping)
    {
        var cancelled = new List<(string, Task)>();
        foreach (var (id, entry) in _active)
        {
            if (app is null || entry.App == app)
            {
                if (appStopping)
                {
                    entry.AppStopping.Cancel();
                }
                entry.Cts.Cancel();
                cancelled.Add((id, entry.Run));
            }
        }
        return cancelled;
    }

    private void Launch(DeploymentRecord deployment, Func<CancellationToken, Task> run)
    {
        // Not disposed: Cancel may still hold them after the deployment ends; they own no timer, so the GC suffices.
        var cts = new CancellationTokenSource();
        var appStopping = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        journal.Status(deployment, DeploymentStatus.Queued, $"{JsonSpellings.Of(deployment.Kind)} {deployment.Id} queued");
        var task = Task.Run(async () =>
        {
            await started.Task;
            var entered = false;
            try
            {
                if (!locks.TryEnter(deployment.App))
                {
                    journal.Log(deployment, "deploy", "waiting for the app's previous deployment or operation to finish (one at a time per app; 'slipway cancel' stops it)");
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
                journal.Fail(deployment, DeploymentStatus.Cancelled, journal.CurrentStep(deployment), "cancelled", []);
            }
            catch (DeployFailure failure)
            {
                journal.Fail(deployment, DeploymentStatus.Failed, failure.Step, failure.Message, failure.LastLines);
            }
            catch (UserException e)
            {
                journal.Fail(deployment, DeploymentStatus.Failed, journal.CurrentStep(deployment), e.Message, []);
            }
            catch (Exception e)
            {
                LogBug(logger, deployment.Id, e);
                journal.Fail(deployment, DeploymentStatus.Failed, journal.CurrentStep(deployment), $"internal error: {e.Message} (details in the platform log)", []);
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
        _active[deployment.Id] = (deployment.App, cts, appStopping, task);
        started.SetResult();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Deployment {DeploymentId} failed with an internal error")]
    private static partial void LogBug(ILogger logger, string deploymentId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rollback {DeploymentId} is live, but writing its config back to the environment failed")]
    private static partial void LogWriteBackBug(ILogger logger, string deploymentId, Exception exception);
}
