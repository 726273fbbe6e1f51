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
    Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
{
    public async Task StopAsync(string app)
    {
        AppErrors.Require(store, app);
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
            try
            {
                await rollout.StartAsync(release, stopping);
            }
            catch (DeployFailure failure)
            {
                store.SetDesiredState(app, "stopped");
                throw new UserException($"{app} did not start: {failure.Message}\n{string.Join('\n', failure.LastLines.Select(l => "    " + l))}");
            }
            store.AddEvent(app, live.Id, "app.started", "started by user");
        }
    }

    public async Task DestroyAsync(string app)
    {
        AppErrors.Require(store, app);
        if (store.LiveElsewhereOnBuildsOf(app) is { Count: > 0 } users)
        {
            var names = string.Join(", ", users.Select(d => store.FindApp(d.App) is { } r ? $"{r.App} {r.Env}" : d.App));
            throw new UserException($"{names} runs a build of {app} (promoted from it), so destroying {app} would delete the build it runs. " +
                "Deploy that environment from source (or destroy it) first.");
        }
        await engine.CancelAndWaitAsync(app);
        using (await locks.HoldAsync(app, CancellationToken.None))
        {
            await runtime.StopAppAsync(app);
            routes.Remove(app);
            await resources.DropForAppAsync(app, CancellationToken.None);
            store.DeleteApp(app);
            builds.DeleteApp(app);
            logs.Delete(LogKeys.Deployments(app));
            logs.Delete(LogKeys.App(app));
            logs.Delete(LogKeys.Access(app));
            redactor.Forget(app);
        }
    }

    /// <summary>After a platform restart: start the live release again and route to it at once; instances join
    /// the rotation as they pass their health checks and restart per their policy if they fail.</summary>
    public void BringBack(string app)
    {
        var live = recorded.LiveOf(app);
        if (recorded.TryLoad(live) is not { } release)
        {
            store.AddEvent(app, live.Id, "app.recovery-failed", $"the build of live deployment {live.Id} is missing; deploy again");
            return;
        }
        var set = rollout.Recover(ReleasePlanner.Start(release));
        store.AddEvent(app, live.Id, "app.recovered", $"started {set.Instances.Count} instance(s) of {live.Id} after a platform restart");
    }
}
