using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Deploy;

internal static class DeployRegistration
{
    /// <summary>Deployments: the engine, its planner and rollout, and the local runtime target.</summary>
    public static IServiceCollection AddDeploy(this IServiceCollection services, DeployOptions options)
    {
        if (options.Problems().ToList() is { Count: > 0 } problems)
        {
            throw new UserException("Cannot start: " + string.Join(" ", problems));
        }
        services.AddSingleton(options);
        services.AddSingleton<ProcessEnvironment>();
        services.AddSingleton<AppRuntime>();
        services.AddSingleton<IRuntimeTarget>(sp => sp.GetRequiredService<AppRuntime>());
        services.AddSingleton<AppLocks>();
        services.AddSingleton<AppHosts>();
        services.AddSingleton<BuildDirectories>();
        services.AddSingleton<RecordedReleases>();
        services.AddSingleton<DeployConfig>();
        services.AddSingleton<DeploymentJournal>();
        services.AddSingleton<BuildPhase>();
        services.AddSingleton<ReleaseCommands>();
        services.AddSingleton<Rollout>();
        services.AddSingleton<DeployEngine>();
        services.AddSingleton<AppOperations>();
        return services;
    }
}
