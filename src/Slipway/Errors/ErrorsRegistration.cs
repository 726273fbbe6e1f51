using Microsoft.Extensions.DependencyInjection;

namespace Slipway.Errors;

internal static class ErrorsRegistration
{
    /// <summary>Error tracking: the Sentry-compatible ingest on loopback, its store (DATA/errors.db), and the variables
    /// that point every app process at it.</summary>
    public static IServiceCollection AddErrors(this IServiceCollection services, string dataDir)
    {
        // SLIPWAY_ERRORS_EVENTS_PER_MINUTE lifts the per-project rate limit for bench/errors, which measures the ingest
        // itself; it is no setting users need.
        var rate = Environment.GetEnvironmentVariable("SLIPWAY_ERRORS_EVENTS_PER_MINUTE");
        services.AddSingleton(new ErrorsOptions(dataDir)
        {
            EventsPerMinute = int.TryParse(rate, System.Globalization.CultureInfo.InvariantCulture, out var perMinute) && perMinute > 0 ? perMinute : 600,
        });
        services.AddSingleton<ErrorStore>();
        services.AddSingleton<ErrorReleases>();
        services.AddSingleton<State.IAppRows, ErrorRows>();
        services.AddSingleton<ErrorIngest>();
        services.AddSingleton<ErrorsAddress>();
        services.AddSingleton<ErrorsServer>();
        services.AddHostedService(sp => sp.GetRequiredService<ErrorsServer>());
        services.AddSingleton<ErrorsEnvironment>();
        services.AddSingleton<Deploy.IProcessVariables>(sp => sp.GetRequiredService<ErrorsEnvironment>());
        services.AddSingleton<Monitoring.Alerts.IAlertSource, ErrorAlertSource>();
        services.AddHostedService<ErrorRetention>();
        services.AddSingleton<Edge.IEdgeHostPath, ErrorsTunnel>();
        services.AddSingleton<Deploy.IBuildVariables, ErrorsBuildVariables>();
        services.AddSingleton<SourceMaps.SourceMapStore>();
        services.AddSingleton<Deploy.IBuildOutputs, SourceMaps.HiddenSourceMaps>();
        return services;
    }
}
