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
/// Talks to where instances run only through <see cref="IRuntimeTarget"/>.</summary>
internal sealed class Rollout(IRuntimeTarget target, AppHosts hosts, DeploymentJournal journal)
{
    /// <summary>Rolls <paramref name="release"/> out as <paramref name="deployment"/>, which goes live when it serves.</summary>
    public async Task RunAsync(Release release, DeploymentRecord deployment, CancellationToken token)
    {
        if (release.WarmFrom is { } warmFrom && target.TakeWarm(release.App, warmFrom) is { } warm)
        {
            journal.Log(deployment, "deploy", $"instances of {warmFrom} are still warm and healthy: switching traffic to them");
            var serving = warm with { Release = release };
            if (release.Spec.Services.Any(IsWorker))
            {
                serving = serving with { Instances = [.. warm.Instances, .. target.Start(release, IsWorker).Instances] };
            }
            hosts.Switch(release.App, all => target.SwitchTo(release.App, serving, all, release.KeepReplacedWarm));
            journal.GoLive(deployment);
            return;
        }
        journal.Status(deployment, DeploymentStatus.Starting, "starting new instances beside the live ones");
        await StartAndSwitchAsync(release, () => journal.Status(deployment, DeploymentStatus.HealthChecking, "waiting for health checks"), token);
        journal.GoLive(deployment);
    }

    /// <summary>The live release started again (`start`): through the health gate, then routed; a failure
    /// throws its <see cref="DeployFailure"/> with the new instances already stopped.</summary>
    public Task StartAsync(Release release, CancellationToken token) => StartAndSwitchAsync(release, null, token);

    /// <summary>After a platform restart: routed at once, each instance joining the rotation as it passes its
    /// health check (and restarting per its policy if it fails), so the app serves as early as it can.</summary>
    public ServingSet Recover(Release release)
    {
        var set = target.Start(release);
        hosts.Switch(release.App, all => target.SwitchTo(release.App, set, all, release.KeepReplacedWarm));
        return set;
    }

    private async Task StartAndSwitchAsync(Release release, Action? healthChecking, CancellationToken token)
    {
        var set = target.Start(release);
        try
        {
            healthChecking?.Invoke();
            await target.WaitHealthyAsync(set, token);
            token.ThrowIfCancellationRequested();
            // Hostnames are added with the version that brings them, never before it is known to be good; a deploy
            // without --host keeps the ones the app has (only `hosts rm` removes one).
            hosts.Switch(release.App, all => target.SwitchTo(release.App, set, all, release.KeepReplacedWarm), adding: release.NewHosts);
        }
        catch
        {
            await target.StopAsync(set);
            throw;
        }
    }

    private static bool IsWorker(ServiceSpec service) => service.Type == ServiceType.Worker;
}
