using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Monitoring.Alerts.Sources;

internal static class AlertSourcesRegistration
{
    /// <summary>The built-in alert sources, each an <see cref="IAlertSource"/> the alert engine evaluates every 15 s.
    /// They read what the stores, the supervisor and the metrics history hold; none sends or remembers anything.</summary>
    public static IServiceCollection AddAlertSources(this IServiceCollection services)
    {
        services.AddSingleton<IAlertSource, DeploySource>();
        services.AddSingleton<IAlertSource, InstanceSource>();
        services.AddSingleton<IAlertSource, TrafficSource>();
        services.AddSingleton<IAlertSource, BackupSource>();
        services.AddSingleton<IAlertSource, JobSource>();
        // The served certificates when the edge terminates TLS (a CertificateStore exists), else the recorded ones.
        services.AddSingleton<IAlertSource, DomainCertificateSource>();
        services.AddSingleton<IAlertSource, DiskSource>();
        return services;
    }
}
