using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>Brings the platform back to what the store says after any stop, clean or SIGKILL, without touching what
/// still runs (instances outlive the platform process):
/// 1. deployments caught half-way are failed (they can never finish);
/// 2. every recorded instance of a running app's live deployment that is still the same process (pid, start time,
///    owner mark, cgroup, output FIFOs) is adopted: routed at once, before the edge listens, and probed;
/// 3. everything else the previous run left (build and release steps, job runs, instances of other deployments, dead
///    instances' FIFOs and cgroups) is killed and removed, in the background;
/// 4. replicas that did not survive start anew once that sweep is done (their app's hostnames answer "starting", 503
///    with Retry-After, meanwhile, and its lock is held until they are launched); static sites route at once; a
///    stopped app's hostnames answer that it is stopped;
/// 5. build directories no record points at (a crash mid-snapshot or mid-delete) are removed.
/// On shutdown (SIGTERM, a restart, an upgrade) running deployments are cancelled and every instance is left running
/// for the next platform process; only `slipway down` (<see cref="StopAppsAsync"/>), stop and destroy stop apps.</summary>
internal sealed partial class Recovery(
    Store store,
    DeployEngine engine,
    AppOperations apps,
    BuildDirectories builds,
    Supervisor supervisor,
    IProcessLauncher launcher,
    Config.ConfigVars config,
    Edge.Routes routes,
    AppHosts hosts,
    AppIsolation isolation,
    AppLocks locks,
    IEnumerable<IProcessVariables> variables,
    ILogger<Recovery> logger) : IHostedService
{
    private Task _bringingBack = Task.CompletedTask;
    private readonly TaskCompletionSource _broughtBack = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every app that should run has had its instances launched (or failed to come back):
    /// the cron scheduler waits for it, so a run due or missed while the platform was down finds its app.</summary>
    public Task BroughtBack => _broughtBack.Task;

    public Task StartAsync(CancellationToken cancellationToken)
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
        var running = store.ListApps().Where(a => a.LiveDeploymentId is not null && a.DesiredState == "running").ToDictionary(a => a.Name);
        // An app whose live build is gone cannot be supervised again (it is parked as stopped below): its instances go.
        var adoptable = running.Keys.Where(apps.LiveBuildExists).ToHashSet(StringComparer.Ordinal);
        var recorded = store.ListActiveInstances();
        // An instance whose platform-given variables went stale (the messages port was taken meanwhile) is replaced.
        var stale = variables.Select(v => v.StaleSincePreviousRun).FirstOrDefault(reason => reason is not null);
        var living = recorded.Where(r => stale is null && adoptable.Contains(r.App) && running[r.App].LiveDeploymentId == r.DeploymentId &&
                                         r is { Pid: not null, LaunchKey: not null } &&
                                         launcher.CanAdopt(new Adoption((int)r.Pid!.Value, r.PidStart, r.LaunchKey!)))
            .ToList();
        var adopted = living.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var dead = recorded.Where(r => !adopted.Contains(r.Id)).ToList();
        foreach (var instance in dead)
        {
            store.MarkInstanceStopped(instance.Id, "stopped");
            if (adoptable.Contains(instance.App) && running[instance.App].LiveDeploymentId == instance.DeploymentId)
            {
                // A replica of the live version that did not survive while no platform ran: news, unlike an adoption.
                store.AddEvent(instance.App, instance.DeploymentId, "instance.replaced", stale is null
                    ? $"{instance.Service} replica {instance.Replica} (pid {instance.Pid}) ended while no platform process ran; a new one starts"
                    : $"{instance.Service} replica {instance.Replica} (pid {instance.Pid}) is replaced: {stale}");
            }
        }
        // One nft transaction, in the background (the previous run's table protects the adopted ports until it is
        // swapped): the adopted instances' ports stay closed to others throughout; the dead ones' go. A new instance opens
        // its port only after it (Supervisor).
        supervisor.ResetFirewall(living.Where(r => r.Port is not null).Select(r => ((int)r.Port!.Value, isolation.UidOf(r.App))).ToList());
        // What goes is decided now, before anything is launched; the kills (with a grace period) run in the background,
        // and new replicas start after them.
        var swept = SweepAsync(living.Select(r => r.LaunchKey!).ToHashSet(StringComparer.Ordinal), dead);
        builds.RemoveOrphans();

        var later = new List<(AppRecord App, bool Locked, IReadOnlyList<InstanceRecord> Living)>();
        foreach (var app in store.ListApps().Where(a => a.LiveDeploymentId is not null))
        {
            if (!running.ContainsKey(app.Name))
            {
                routes.Park(app.Ref, hosts.For(app.Name));
                continue;
            }
            var its = living.Where(r => r.App == app.Name).ToList();
            // Nothing else holds a lock before the API listens (ASP.NET starts its server after every hosted service).
            var locked = locks.TryEnter(app.Name);
            if (locked && apps.NeedsNothingNew(app.Name, its))
            {
                // Every replica still runs (or there are none: a static site): it serves now, before the edge listens.
                try
                {
                    BringBack(app, its);
                }
                finally
                {
                    locks.Exit(app.Name);
                }
                continue;
            }
            routes.ParkStarting(app.Ref, hosts.For(app.Name));
            later.Add((app, locked, its));
        }
        _bringingBack = Task.Run(() => BringBackAsync(swept, later), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task SweepAsync(IReadOnlySet<string> adoptedKeys, IReadOnlyList<InstanceRecord> dead)
    {
        var killed = await launcher.SweepAsync(adoptedKeys, TimeSpan.FromSeconds(5));
        await Task.WhenAll(dead.Where(i => i.Pid is not null)
            .Select(i => ProcessGroups.KillLeftoverAsync((int)i.Pid!.Value, i.PidStart, TimeSpan.FromSeconds(5))));
        if (killed > 0)
        {
            LogSwept(logger, killed);
        }
    }

    private void BringBack(AppRecord app, IReadOnlyList<InstanceRecord> living)
    {
        try
        {
            if (!apps.BringBack(app.Name, living))
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
    }

    private async Task BringBackAsync(Task swept, List<(AppRecord App, bool Locked, IReadOnlyList<InstanceRecord> Living)> later)
    {
        try
        {
            // New instances start once what the previous run left is gone: never two copies of a worker at once.
            await swept;
            foreach (var (app, locked, living) in later)
            {
                using var held = locked ? null : await locks.HoldAsync(app.Name, CancellationToken.None);
                try
                {
                    BringBack(app, living);
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
#pragma warning disable CA1031 // logged; the cron scheduler must not wait forever
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogSweepFailed(logger, e);
        }
        finally
        {
            _broughtBack.TrySetResult();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Instances being brought back are launched before anything is detached, then detached with the rest.
        await _bringingBack;
        // Deployments first: none may start instances after the supervisor has let everything go.
        await engine.CancelAllAsync();
        await supervisor.DetachEverythingAsync();
    }

    /// <summary>True once <see cref="StopAppsAsync"/> ran: the platform stops for good (`down`), its supervisor does not
    /// start it again.</summary>
    public bool AppsStopped { get; private set; }

    /// <summary>`slipway down`: every app's instances stop (the apps stay "running" in the store and come back on the
    /// next start); the platform then stops.</summary>
    public async Task StopAppsAsync()
    {
        AppsStopped = true;
        await _bringingBack;
        await engine.CancelAllAsync();
        await supervisor.StopEverythingAsync();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Bringing back {App} after the platform restart failed")]
    private static partial void LogBringBackFailed(ILogger logger, string app, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sweeping what the previous platform process left failed")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App isolation: {Gap}")]
    private static partial void LogIsolationGap(ILogger logger, string gap);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killed {Count} process group(s) left running by the previous platform process")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment {DeploymentId} was interrupted by a platform stop and is marked failed")]
    private static partial void LogInterrupted(ILogger logger, string deploymentId);
}
