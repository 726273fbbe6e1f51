using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Databases;

/// <summary>What a platform stop does to the database servers: they outlive it (a restart, an upgrade, SIGTERM), as the
/// apps do, unless the apps were stopped for good first (`slipway down`, a test platform's disposal:
/// <see cref="Deploy.Recovery.StopAppsAsync"/>). Recovery is looked up when the platform stops, not injected: it
/// depends (through the deploy engine and the environments' resources) on the database servers themselves.</summary>
internal sealed class ServerShutdown(IServiceProvider services)
{
    /// <summary>True: stop the servers (fast shutdown); false: detach them for the next platform process.</summary>
    public bool StopsServers => services.GetService<Deploy.Recovery>() is not { AppsStopped: false };
}
