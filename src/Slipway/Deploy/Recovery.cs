using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Brings the platform back to what the store says after any stop, clean or SIGKILL:
/// 1. deployments caught half-way are failed (they can never finish);
/// 2. build and release steps and instance process groups left by the previous run are killed (pid and start time must both match, so an
///    unrelated process that reused the pid is never touched);
/// 3. every app that should be running gets fresh instances of its live deployment, routed as they pass
///    their health checks; a stopped app's hostnames answer that it is stopped. The instances start after the
///    platform is up, so the API answers at once (a restart with 6 apps answered after 1.4 s, now as fast as a
///    fresh start): each app's hostnames answer "starting" (503, Retry-After) and its lock is held until its
///    instances are launched, so a deploy, stop or rollback of it waits for that.
/// 4. build directories no record points at (a crash mid-snapshot or mid-delete) are removed.
/// On shutdown, running deployments are cancelled, then every instance is stopped (SIGTERM, grace, SIGKILL);
/// the live deployments stay recorded.</summary>
internal sealed partial class Recovery(
    Store store,
    DeployEngine engine,
    AppOperations apps,
    BuildDirectories builds,
    Supervisor supervisor,
    DeployOptions options,
    Config.ConfigVars config,
    Edge.Routes routes,
    AppHosts hosts,
    AppIsolation isolation,
    AppLocks locks,
    ILogger<Recovery> logger) : IHostedService
{
    private Task _bringingBack = Task.CompletedTask;
    private readonly TaskCompletionSource _broughtBack = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every app that should run has had its instances launched (or failed to come back):
    /// the cron scheduler waits for it, so a run due or missed while the platform was down finds its app.</summary>
    public Task BroughtBack => _broughtBack.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var gap in isolation.Host.Gaps())
        {
            LogIsolationGap(logger, gap);
        }
        config.FinishInterruptedRotation();
        config.LoadSecrets();
        foreach (var id in store.FailInterruptedDeployments())
        {
            LogInterrupted(logger, id);
        }
        var swept = await Leftovers.KillAsync(Leftovers.OwnerId(options.DataDir), TimeSpan.FromSeconds(5));
        if (swept > 0)
        {
            LogSwept(logger, swept);
        }
        var leftovers = store.ListActiveInstances();
        await Task.WhenAll(leftovers.Where(i => i.Pid is not null)
            .Select(i => ProcessGroups.KillLeftoverAsync((int)i.Pid!.Value, i.PidStart, TimeSpan.FromSeconds(5))));
        foreach (var instance in leftovers)
        {
            store.MarkInstanceStopped(instance.Id, "stopped");
        }
        builds.RemoveOrphans();
        var running = new List<(AppRecord App, bool Locked)>();
        foreach (var app in store.ListApps().Where(a => a.LiveDeploymentId is not null))
        {
            if (app.DesiredState == "running")
            {
                // Nothing else holds a lock before the API listens (ASP.NET starts its server after every hosted
                // service): taken at once, released once launched. Should one be held anyway, it is waited for.
                running.Add((app, locks.TryEnter(app.Name)));
                routes.ParkStarting(app.Ref, hosts.For(app.Name));
            }
            else
            {
                routes.Park(app.Ref, hosts.For(app.Name));
            }
        }
        _bringingBack = Task.Run(() => BringBackAsync(running), CancellationToken.None);
    }

    private async Task BringBackAsync(List<(AppRecord App, bool Locked)> running)
    {
        try
        {
            foreach (var (app, locked) in running)
            {
                using var held = locked ? null : await locks.HoldAsync(app.Name, CancellationToken.None);
                try
                {
                    if (!apps.BringBack(app.Name))
                    {
                        // Its build is gone (the event says so): its hostnames say it is stopped, not starting.
                        routes.ParkStopped(app.Ref, hosts.For(app.Name));
                    }
                }
#pragma warning disable CA1031 // one app that cannot come back must not keep the others down; its failure is logged
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogBringBackFailed(logger, app.Name, e);
                    store.AddEvent(app.Name, app.LiveDeploymentId, "app.recovery-failed", $"starting it again after the platform restart failed: {e.Message}; deploy or start it again");
                    routes.ParkStopped(app.Ref, hosts.For(app.Name));
                }
                finally
                {
                    if (locked)
                    {
                        locks.Exit(app.Name);
                    }
                }
            }
        }
        finally
        {
            _broughtBack.TrySetResult();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Instances being brought back are launched before anything is stopped, then stopped with the rest.
        await _bringingBack;
        // Deployments first: none may start instances after the supervisor has stopped everything.
        await engine.CancelAllAsync();
        await supervisor.StopEverythingAsync();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Bringing back {App} after the platform restart failed")]
    private static partial void LogBringBackFailed(ILogger logger, string app, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App isolation: {Gap}")]
    private static partial void LogIsolationGap(ILogger logger, string gap);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killed {Count} process group(s) left running by the previous platform process")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {DeploymentId} was interrupted by a platform stop and is marked failed")]
    private static partial void LogInterrupted(ILogger logger, string deploymentId);
}
