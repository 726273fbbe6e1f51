using Slipway.Runtime;

namespace Slipway.Deploy;

/// <summary>The instances of one release of an app, started together and switched to together.</summary>
internal sealed record ServingSet(Release Release, IReadOnlyList<Instance> Instances)
{
    public bool AllHealthy => Instances.All(i => i.State == InstanceState.Healthy);
}
