using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Monitoring.StatusPages;

internal static class StatusPagesRegistration
{
    /// <summary>Status pages (after <see cref="Uptime.UptimeRegistration.AddUptime"/>: they show its checks and
    /// incidents). At start they reserve their hostnames from apps and route them to the platform's API.</summary>
    public static IServiceCollection AddStatusPages(this IServiceCollection services)
    {
        services.AddSingleton<StatusPageStore>();
        services.AddSingleton<StatusPageModels>();
        services.AddSingleton<StatusPages>();
        services.AddHostedService(sp => sp.GetRequiredService<StatusPages>());
        return services;
    }
}
