using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Monitoring.Alerts;

internal static class AlertsRegistration
{
    /// <summary>The alert engine, its rules and its rows. Sources register themselves as <see cref="IAlertSource"/>,
    /// the channels as the one <see cref="IAlertNotifier"/>; reads <see cref="AlertsOptions"/>, which the host registers.</summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services)
    {
        services.AddSingleton<AlertStore>();
        services.AddSingleton<State.IAppRows, AlertRows>();
        services.AddSingleton<AlertRules>();
        services.AddSingleton<AlertConfig>();
        services.AddSingleton<AlertEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEngine>());
        return services;
    }
}
