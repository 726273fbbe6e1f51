using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Deploy;

internal static class DeployRegistration
{
    /// <summary>Deployments: the engine, its planner and rollout, and the local runtime target. Reads
    /// <see cref="DeployOptions"/>, which the host registers (and validates).</summary>
    public static IServiceCollection AddDeploy(this IServiceCollection services)
    {
        services.AddSingleton<AppIsolation>();
        services.AddSingleton<AppVolumes>();
        services.AddSingleton<Sandbox.DiskUsage>();
        services.AddSingleton<ProcessEnvironment>();
        services.AddSingleton<AppRuntime>();
        services.AddSingleton<IRuntimeTarget>(sp => sp.GetRequiredService<AppRuntime>());
        services.AddSingleton<AppLocks>();
        services.AddSingleton<AppHosts>();
        services.AddSingleton<BuildDirectories>();
        services.AddSingleton<RecordedReleases>();
        services.AddSingleton<DeployConfig>();
        services.AddSingleton<DeploymentJournal>();
        services.AddSingleton<DeployMetrics>();
        services.AddSingleton<BuildPhase>();
        services.AddSingleton<ReleaseCommands>();
        services.AddSingleton<Rollout>();
        services.AddSingleton<DeployEngine>();
        services.AddSingleton<AppOperations>();
        return services;
    }
}
