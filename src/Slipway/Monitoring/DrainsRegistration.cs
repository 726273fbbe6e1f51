using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Monitoring;

internal static class DrainsRegistration
{
    /// <summary>The log drains: the log store's tap, the senders, their rows in key rotation and destroy. Reads
    /// <see cref="DrainsOptions"/>, which the host registers. Register before Recovery: drains start before the apps
    /// come back and stop after they stopped, so their last lines still go out.</summary>
    public static IServiceCollection AddDrains(this IServiceCollection services)
    {
        services.AddSingleton<DrainStore>();
        // The URL and headers are sealed; an environment's drains go when it is destroyed (State never names the table).
        services.AddSingleton<DrainRows>();
        services.AddSingleton<State.ISealedRows>(sp => sp.GetRequiredService<DrainRows>());
        services.AddSingleton<State.IAppRows>(sp => sp.GetRequiredService<DrainRows>());
        services.AddSingleton<Drains>();
        services.AddSingleton<Runtime.ILogTap>(sp => sp.GetRequiredService<Drains>());
        services.AddHostedService(sp => sp.GetRequiredService<Drains>());
        return services;
    }
}
