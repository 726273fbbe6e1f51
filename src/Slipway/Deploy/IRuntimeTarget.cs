using Slipway.Manifests;

namespace Slipway.Deploy;

/// <summary>The place a release's instances run, as deployments and app operations see it: start them, wait
/// until they are healthy, switch traffic to them (the replaced set drains and may stay warm), take a warm set
/// back, stop them. Today <see cref="AppRuntime"/> implements it with local processes behind the edge; a
/// Kubernetes target would map the same steps onto a Deployment with readiness probes (start, wait), its
/// Service's selector (switch), a scaled-down Deployment kept for a while (warm) and scaling down (stop); stop-first services are the
/// Recreate strategy (scale the old Deployment to zero first, back up if the new one fails).
/// Known limits of this shape for that second target: a <see cref="ServingSet"/> holds local
/// <see cref="Runtime.Instance"/>s, and start and switch are synchronous.</summary>
internal interface IRuntimeTarget
{
    /// <summary>Starts the instances of <paramref name="release"/> (the services <paramref name="which"/> picks,
    /// or every web and worker service) beside whatever serves now.</summary>
    ServingSet Start(Release release, Func<ServiceSpec, bool>? which = null);

    /// <summary>After a platform restart: the instances of <paramref name="release"/> recorded in <paramref name="living"/>
    /// (service and replica) are adopted where their processes still run; every other replica starts anew.</summary>
    ServingSet Resume(Release release, IReadOnlyList<State.InstanceRecord> living);

    /// <summary>Completes when every instance of <paramref name="set"/> passed its health check; throws a
    /// <see cref="DeployFailure"/> naming the first that did not (exit, or its start timeout).</summary>
    Task WaitHealthyAsync(ServingSet set, CancellationToken token);

    /// <summary>Traffic of <paramref name="app"/> moves to <paramref name="next"/> at once. The replaced set drains,
    /// then stays warm for a quick rollback when <paramref name="keepReplacedWarm"/>, else stops.</summary>
    void SwitchTo(string app, ServingSet next, IReadOnlyList<string> hosts, bool keepReplacedWarm);

    /// <summary>Stop-first: stops the instances serving <paramref name="app"/> whose service <paramref name="which"/> picks
    /// (SIGTERM, then their stop timeout) and takes them out of what serves, before their replacements start. Returns
    /// them, with the release they belong to, for <see cref="StartAgain"/>; null when none served.</summary>
    Task<ServingSet?> StopServingAsync(string app, Func<ServiceSpec, bool> which);

    /// <summary>The replacements of <paramref name="stopped"/> failed: starts its services again from its release (the
    /// live build) and adds them back to what serves <paramref name="app"/>.</summary>
    ServingSet StartAgain(string app, ServingSet stopped);

    /// <summary>The warm set of <paramref name="deploymentId"/>, taken out of the warm pool, if it is still healthy.</summary>
    ServingSet? TakeWarm(string app, string deploymentId);

    /// <summary>What serves <paramref name="app"/> now, if anything.</summary>
    ServingSet? Serving(string app);

    Task StopAsync(ServingSet set);

    /// <summary>Stops everything of <paramref name="app"/>: its serving and warm sets; its hostnames stay, answering
    /// that it is stopped (destroy removes them).</summary>
    Task StopAppAsync(string app);
}
