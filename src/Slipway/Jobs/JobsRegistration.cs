using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Jobs;

internal static class JobsRegistration
{
    /// <summary>Jobs' services and the messages listener. Registered before Recovery, so the listener's URL
    /// is known when Recovery starts the apps' instances. Reads <see cref="JobsOptions"/>, which the host registers.</summary>
    public static IServiceCollection AddSlipwayJobs(this IServiceCollection services)
    {
        services.AddSingleton(sp => new JobsClock(sp.GetRequiredService<JobsOptions>().Clock ?? sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<JobsOptions>().DatabasePath));
        services.AddSingleton<JobSecrets>();
        services.AddSingleton<MessageSealer>();
        // Jobs' rows in the store's destroy and key rotation transactions (State never names Jobs' tables).
        services.AddSingleton<JobRows>();
        services.AddSingleton<State.IAppRows>(sp => sp.GetRequiredService<JobRows>());
        services.AddSingleton<State.ISealedRows>(sp => sp.GetRequiredService<JobRows>());
        services.AddSingleton<AppTargets>();
        services.AddSingleton<MessagesAddress>();
        services.AddSingleton<JobEnvironment>();
        services.AddSingleton<Deploy.IProcessVariables>(sp => sp.GetRequiredService<JobEnvironment>());
        services.AddSingleton<Deploy.IAppActivity>(sp => sp.GetRequiredService<CronRunner>());
        services.AddSingleton<CronRunner>();
        services.AddSingleton<JobMetrics>();
        services.AddSingleton<CronScheduler>();
        services.AddSingleton<MessageDelivery>();
        services.AddSingleton<MessagesServer>();
        services.AddHostedService(sp => sp.GetRequiredService<MessagesServer>());
        return services;
    }

    /// <summary>The scheduler and the delivery loop. Registered after Recovery: on shutdown (reverse order)
    /// they stop first, so no job starts against instances that are being stopped.</summary>
    public static IServiceCollection AddJobRunners(this IServiceCollection services)
    {
        services.AddHostedService(sp => sp.GetRequiredService<CronScheduler>());
        services.AddHostedService(sp => sp.GetRequiredService<MessageDelivery>());
        return services;
    }
}
