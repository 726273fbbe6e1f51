using Slipway.Manifests;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Carries out every release, whatever made it (deploy, rollback, restart, promote, config, start,
/// recovery after a platform restart):
///
///   warm and healthy? ──yes──► (start its workers) ─────────────────────────────┐
///        │ no                                                                    ▼
///        └─► starting ─► health-checking ─► hostnames added ─► switch ─► live (record, prune)
///                               │ any failure or cancellation                    └─► replaced set drains,
///                               ▼                                                    then warm or stopped
///                      new instances stopped; the live version keeps serving
///
/// An app's first version (no live one): from starting to the switch its hostnames answer 503 "starting"; a failure
/// takes that route away again.
///
/// Stop-first workers (the default for workers) are replaced without overlap, on both paths:
///
///   web and start-first services start and pass their checks ─► live's stop-first workers stop (SIGTERM, stop
///   timeout) ─► new workers start ─► health gate ─► switch
///                                                                           │ failure or cancellation
///                                                                           ▼
///                                            new instances stopped; live's workers start again from its build,
///                                            unless the app is stopping with the rollout (stop, destroy, shutdown)
///
/// Talks to where instances run only through <see cref="IRuntimeTarget"/>.</summary>
internal sealed class Rollout(IRuntimeTarget target, AppHosts hosts, DeploymentJournal journal)
{
    /// <summary>Rolls <paramref name="release"/> out as <paramref name="deployment"/>, which goes live when it serves;
    /// then <paramref name="wentLive"/> runs (<see cref="DeploymentJournal.GoLive"/>). <paramref name="appStopping"/>
    /// is cancelled with <paramref name="token"/> when the app stops with the rollout (stop, destroy, platform
    /// shutdown): then live workers it stopped first stay stopped.</summary>
    public async Task RunAsync(Release release, DeploymentRecord deployment, CancellationToken token, CancellationToken appStopping,
        Action? wentLive = null)
    {
        if (release.WarmFrom is { } warmFrom && target.TakeWarm(release.App, warmFrom) is { } warm)
        {
            journal.Log(deployment, "deploy", $"instances of {warmFrom} are still warm and healthy: switching traffic to them");
            await SwitchToWarmAsync(release, warm, deployment, token, appStopping);
            journal.GoLive(deployment, wentLive);
            return;
        }
        var first = hosts.ParkFirstStart(release.App);
        journal.Status(deployment, DeploymentStatus.Starting, first
            ? "starting the app's first instances (until they serve, its hostnames answer 503 \"starting\")"
            : "starting new instances beside the live ones");
        try
        {
            await StartAndSwitchAsync(release, deployment, token, appStopping);
        }
        catch when (first)
        {
            hosts.UnparkFirstStart(release.App);
            throw;
        }
        journal.GoLive(deployment, wentLive);
    }

    /// <summary>The live release started again (`start`): through the health gate, then routed; a failure
    /// throws its <see cref="DeployFailure"/> with the new instances already stopped. <paramref name="token"/> is the
    /// platform's shutdown.</summary>
    public Task StartAsync(Release release, CancellationToken token) => StartAndSwitchAsync(release, null, token, appStopping: token);

    /// <summary>After a platform restart: instances still running from before are adopted and serve at once; the others
    /// start anew and join the rotation as they pass their health check (restarting per their policy if they fail).</summary>
    public ServingSet Recover(Release release, IReadOnlyList<InstanceRecord> living)
    {
        var set = target.Resume(release, living);
        hosts.Switch(release.App, all => target.SwitchTo(release.App, set, all, release.KeepReplacedWarm));
        return set;
    }

    private async Task StartAndSwitchAsync(Release release, DeploymentRecord? deployment, CancellationToken token, CancellationToken appStopping)
    {
        ServingSet? beside = null;
        ServingSet? replacing = null;
        ServingSet? stopped = null;
        try
        {
            // Web services and start-first workers start beside the live version and pass their checks first: a
            // version whose web side is bad never interrupts the live workers.
            beside = target.Start(release, s => !StopsFirst(s));
            if (deployment is not null)
            {
                journal.Status(deployment, DeploymentStatus.HealthChecking, "waiting for health checks");
            }
            await target.WaitHealthyAsync(beside, token);
            token.ThrowIfCancellationRequested();
            stopped = await StopFirstAsync(release, deployment);
            token.ThrowIfCancellationRequested(); // cancelled while live workers stopped: start nothing new
            replacing = target.Start(release, StopsFirst);
            await target.WaitHealthyAsync(replacing, token);
            token.ThrowIfCancellationRequested();
            var set = beside with { Instances = [.. beside.Instances, .. replacing.Instances] };
            // Hostnames are added with the version that brings them, never before it is known to be good; a deploy
            // without --host keeps the ones the app has (only `hosts rm` removes one).
            hosts.Switch(release.App, all => target.SwitchTo(release.App, set, all, release.KeepReplacedWarm), adding: release.NewHosts);
        }
        catch (Exception e)
        {
            foreach (var started in new[] { beside, replacing })
            {
                if (started is not null)
                {
                    await target.StopAsync(started);
                }
            }
            if (await StartStoppedAgainAsync(release.App, stopped, deployment, appStopping) is { } note && e is DeployFailure failure)
            {
                throw failure.With(note);
            }
            throw;
        }
    }

    /// <summary>A rollback to a warm set: the route swap alone for its web instances; its workers start now (workers
    /// are never kept warm). Stop-first workers replace the live ones without overlap and pass their check before
    /// the swap; start-first ones start beside the live ones and the swap does not wait for them.</summary>
    private async Task SwitchToWarmAsync(Release release, ServingSet warm, DeploymentRecord deployment, CancellationToken token,
        CancellationToken appStopping)
    {
        var serving = warm with { Release = release };
        if (!release.Spec.Services.Any(IsWorker))
        {
            hosts.Switch(release.App, all => target.SwitchTo(release.App, serving, all, release.KeepReplacedWarm));
            return;
        }
        ServingSet? stopped = null;
        ServingSet? workers = null;
        try
        {
            stopped = await StopFirstAsync(release, deployment);
            token.ThrowIfCancellationRequested();
            workers = target.Start(release, IsWorker);
            if (release.Spec.Services.Any(StopsFirst))
            {
                await target.WaitHealthyAsync(workers, token);
                token.ThrowIfCancellationRequested();
            }
            var all = serving with { Instances = [.. warm.Instances, .. workers.Instances] };
            hosts.Switch(release.App, names => target.SwitchTo(release.App, all, names, release.KeepReplacedWarm));
        }
        catch (Exception e)
        {
            // The warm set left the warm pool when it was taken; with the rollback failed it serves no one.
            await target.StopAsync(workers is null ? warm : warm with { Instances = [.. warm.Instances, .. workers.Instances] });
            if (await StartStoppedAgainAsync(release.App, stopped, deployment, appStopping) is { } note && e is DeployFailure failure)
            {
                throw failure.With(note);
            }
            throw;
        }
    }

    /// <summary>Stops the live instances of the services <paramref name="release"/> replaces stop-first (old
    /// workers of the same name), before anything of the release starts; null when none run.</summary>
    private async Task<ServingSet?> StopFirstAsync(Release release, DeploymentRecord? deployment)
    {
        var names = release.Spec.Services.Where(StopsFirst).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        bool Replaced(ServiceSpec live) => live.Type == ServiceType.Worker && names.Contains(live.Name);
        if (names.Count == 0 || target.Serving(release.App)?.Instances.Where(i => Replaced(i.Spec.Service)).ToList() is not { Count: > 0 } old)
        {
            return null;
        }
        if (deployment is not null)
        {
            var stopping = old.Select(i => i.Spec.Service.Name).Distinct(StringComparer.Ordinal).ToList();
            journal.Log(deployment, "deploy", $"stopping the live version's {Describe(stopping)} first " +
                $"(strategy \"stop-first\", up to {Durations.Format(old[0].Spec.StopTimeout)} to finish its work)");
        }
        return await target.StopServingAsync(release.App, Replaced);
    }

    /// <summary>The new instances failed (or the rollout was cancelled) after live workers stopped first: they start
    /// again from the live build, so a bad version never replaces a good one; but not when the app stops with the
    /// rollout (<paramref name="appStopping"/>): a stopped app runs nothing, and after a shutdown it starts whole with
    /// the platform. Returns what happened, for the failure's message; null when nothing had stopped first.</summary>
    private async Task<string?> StartStoppedAgainAsync(string app, ServingSet? stopped, DeploymentRecord? deployment, CancellationToken appStopping)
    {
        if (stopped is null)
        {
            return null;
        }
        var names = stopped.Instances.Select(i => i.Spec.Service.Name).Distinct(StringComparer.Ordinal).ToList();
        var what = $"the live version's {Describe(names)} ({stopped.Release.DeploymentId}), stopped first (strategy \"stop-first\"),";
        string note;
        if (appStopping.IsCancellationRequested)
        {
            note = $"{what} {(names.Count == 1 ? "stays" : "stay")} stopped: the app is being stopped or destroyed, or the platform is shutting down";
        }
        else
        {
            try
            {
                var again = target.StartAgain(app, stopped);
                // Not the rollout's token: it may be the cancellation (`slipway cancel`) that brought us here.
                await target.WaitHealthyAsync(again, CancellationToken.None);
                note = $"{what} {(names.Count == 1 ? "was" : "were")} started again from its build and {(names.Count == 1 ? "is" : "are")} running";
            }
            catch (DeployFailure again)
            {
                note = $"{what} {(names.Count == 1 ? "was" : "were")} started again from its build but failed too " +
                       $"({again.Message.Split(';')[0]}): see `slipway logs --app {app}`";
            }
            catch (OperationCanceledException)
            {
                note = $"{what} could not start again: the platform is shutting down (the app starts whole with the platform)";
            }
        }
        if (deployment is not null)
        {
            journal.Log(deployment, "deploy", note);
        }
        return note;
    }

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count == 1 ? $"worker {names[0]}" : $"workers {string.Join(", ", names)}";

    private static bool IsWorker(ServiceSpec service) => service.Type == ServiceType.Worker;

    private static bool StopsFirst(ServiceSpec service) => IsWorker(service) && service.Strategy == RolloutStrategy.StopFirst;
}
