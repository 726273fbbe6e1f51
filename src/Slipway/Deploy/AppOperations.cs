using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>stop, start, destroy, and bringing apps back after a platform restart. Each runs under the app's
/// lock; stop and destroy first cancel the app's deployments and wait for them to clean up, so none of them
/// can switch traffic to instances that are being stopped.</summary>
internal sealed class AppOperations(
    Store store,
    IRuntimeTarget runtime,
    AppLocks locks,
    BuildDirectories builds,
    DeployEngine engine,
    RecordedReleases recorded,
    Rollout rollout,
    LogStore logs,
    Config.SecretRedactor redactor,
    IEnvironmentResources resources,
    Edge.Routes routes,
    IEnumerable<IAppActivity> activities,
    AppVolumes volumes,
    AppIsolation isolation,
    Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
{
    public async Task StopAsync(string app)
    {
        AppErrors.Require(store, store.RefOf(app));
        await engine.CancelAndWaitAsync(app);
        using (await locks.HoldAsync(app, CancellationToken.None))
        {
            store.SetDesiredState(app, "stopped");
            await runtime.StopAppAsync(app);
            store.AddEvent(app, null, "app.stopped", "stopped by user");
        }
    }

    /// <summary>Starts the live release again and waits until it is healthy. Not tied to the caller's
    /// connection (a client that goes away does not leave instances half-started), only to the platform's
    /// own shutdown.</summary>
    public async Task StartAsync(string app)
    {
        var stopping = lifetime.ApplicationStopping;
        using (await locks.HoldAsync(app, stopping))
        {
            var live = recorded.LiveOf(app);
            store.SetDesiredState(app, "running");
            if (runtime.Serving(app) is not null)
            {
                return;
            }
            var release = ReleasePlanner.Start(recorded.Load(live, $"The build of live deployment {live.Id} is missing; deploy {app} again."));
            // Until it serves, its hostnames say it is starting (503 with Retry-After), not that it is stopped.
            var target = store.RefOf(app);
            routes.Park(target, starting: true);
            try
            {
                await rollout.StartAsync(release, stopping);
            }
            catch (Exception e)
            {
                routes.Park(target);
                if (e is not DeployFailure failure)
                {
                    throw;
                }
                store.SetDesiredState(app, "stopped");
                throw new UserException($"{app} did not start: {failure.Message}\n{string.Join('\n', failure.LastLines.Select(l => "    " + l))}");
            }
            store.AddEvent(app, live.Id, "app.started", "started by user");
        }
    }

    /// <summary>Stops the app environment and deletes it: deployments, builds, logs, hostnames and databases.
    /// Each database gets a final verified backup before anything is dropped (its backups outlive the environment),
    /// or with <paramref name="keepDatabases"/> is kept, detached. A failed final backup deletes nothing: the app is
    /// started again if it was running, and the error says why.</summary>
    public async Task DestroyAsync(string app, bool keepDatabases = false, Func<string, Task>? report = null)
    {
        report ??= _ => Task.CompletedTask;
        AppErrors.Require(store, store.RefOf(app));
        if (store.LiveElsewhereOnBuildsOf(app) is { Count: > 0 } users)
        {
            var names = string.Join(", ", users.Select(d => store.FindApp(d.App) is { } r ? $"{r.App} {r.Env}" : d.App));
            throw new UserException($"{names} runs a build of {app} (promoted from it), so destroying {app} would delete the build it runs. " +
                "Deploy that environment from source (or destroy it) first.");
        }
        await engine.CancelAndWaitAsync(app);
        using (await locks.HoldAsync(app, CancellationToken.None))
        {
            var record = AppErrors.Require(store, store.RefOf(app));
            await report("stopping its instances and cron runs (no more writes: the final backups hold everything)");
            // Marked stopped first, so the cron scheduler starts no run during the backups.
            store.SetDesiredState(app, "stopped");
            await runtime.StopAppAsync(app);
            try
            {
                foreach (var activity in activities)
                {
                    await activity.StopRunsAsync(app);
                }
                await resources.SecureForDestroyAsync(app, keepDatabases, report, CancellationToken.None);
            }
            catch (Exception e)
            {
                store.SetDesiredState(app, record.DesiredState);
                var again = await StartAgainAsync(record);
                if (e is UserException user)
                {
                    throw new UserException(user.Message + again, user.StatusCode);
                }
                throw;
            }
            routes.Remove(app);
            await report(keepDatabases ? "detaching its databases" : "dropping its databases");
            await resources.DropForAppAsync(app, keepDatabases, CancellationToken.None);
            store.DeleteApp(app);
            builds.DeleteApp(app);
            volumes.DeleteApp(app);
            isolation.DeleteCache(app);
            logs.Delete(LogKeys.Deployments(app));
            logs.Delete(LogKeys.App(app));
            logs.Delete(LogKeys.Access(app));
            redactor.Forget(app);
        }
    }

    /// <summary>After a destroy that stopped short: the app serves again as it did before (a sentence for the error).</summary>
    private async Task<string> StartAgainAsync(AppRecord record)
    {
        if (record.DesiredState == "stopped" || record.LiveDeploymentId is null || recorded.TryLoad(recorded.LiveOf(record.Name)) is not { } release)
        {
            return "";
        }
        try
        {
            await rollout.StartAsync(ReleasePlanner.Start(release), lifetime.ApplicationStopping);
            return $" {record.Name} is running again.";
        }
        catch (DeployFailure failure)
        {
            store.SetDesiredState(record.Name, "stopped");
            return $" {record.Name} did not start again ({failure.Message}); start it with 'slipway start {record.Ref.Flags}'.";
        }
    }

    /// <summary>After a platform restart: start the live release again and route to it at once; instances join
    /// the rotation as they pass their health checks and restart per their policy if they fail.</summary>
    /// <summary>True when bringing <paramref name="app"/> back starts nothing new: every replica of its live release is
    /// among <paramref name="living"/> (or it has none: a static site), so it can serve before the edge listens.</summary>
    /// <summary>Whether the build of <paramref name="app"/>'s live deployment is still there (it can be brought back).</summary>
    public bool LiveBuildExists(string app) => recorded.TryLoad(recorded.LiveOf(app)) is not null;

    public bool NeedsNothingNew(string app, IReadOnlyList<InstanceRecord> living)
    {
        var live = recorded.LiveOf(app);
        if (recorded.TryLoad(live) is not { } release)
        {
            return true; // nothing starts: BringBack parks it as stopped
        }
        return release.Spec.Services.Where(s => s.Type != Manifests.ServiceType.Static)
            .All(s => Enumerable.Range(1, s.Replicas).All(r => living.Any(l => l.Service == s.Name && l.Replica == r)));
    }

    public bool BringBack(string app, IReadOnlyList<InstanceRecord> living)
    {
        var live = recorded.LiveOf(app);
        if (recorded.TryLoad(live) is not { } release)
        {
            store.AddEvent(app, live.Id, "app.recovery-failed", $"the build of live deployment {live.Id} is missing; deploy again");
            return false;
        }
        var set = rollout.Recover(ReleasePlanner.Start(release), living);
        var adopted = set.Instances.Count(i => living.Any(r => r.Id == i.Spec.Id));
        var started = set.Instances.Count - adopted;
        // Adopted instances are not news (nothing changed for the app); a restart that had to start some is.
        if (started > 0)
        {
            store.AddEvent(app, live.Id, "app.recovered", adopted > 0
                ? $"kept {adopted} running instance(s) of {live.Id} and started {started} after a platform restart"
                : $"started {started} instance(s) of {live.Id} after a platform restart");
        }
        return true;
    }
}
