using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Monitoring.Uptime;

internal static class UptimeRegistration
{
    /// <summary>The uptime checks: their rows (deleted with an app environment), raw results (DATA/uptime.db), the
    /// monitor loop and the "uptime" alert rule. Reads <see cref="UptimeOptions"/>, which the host registers.</summary>
    public static IServiceCollection AddUptime(this IServiceCollection services)
    {
        services.AddSingleton<UptimeStore>();
        services.AddSingleton<State.IAppRows, UptimeRows>();
        services.AddSingleton<UptimeResults>();
        services.AddSingleton<UptimeProbe>();
        services.AddSingleton<UptimeTargets>();
        services.AddSingleton<UptimeMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<UptimeMonitor>());
        services.AddSingleton<UptimeChecks>();
        services.AddSingleton<Alerts.IAlertSource, UptimeAlerts>();
        return services;
    }
}
