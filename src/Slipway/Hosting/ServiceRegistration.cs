using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Api;
using Slipway.Builds;
using Slipway.Config;
using Slipway.Databases;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Edge.Tls;
using Slipway.Jobs;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Hosting;

internal static class ServiceRegistration
{
    public static IServiceCollection AddSlipway(this IServiceCollection services, PlatformOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new Store(options.DatabasePath, sp.GetRequiredService<TimeProvider>(),
            sp.GetServices<ISealedRows>(), sp.GetServices<IAppRows>()));
        services.AddSingleton(new Keyring(options.DataDir));
        services.AddSingleton<SecretRedactor>();
        services.AddSingleton<ConfigVars>();
        services.AddSingleton(sp => new LogStore(options.LogsDir, redact: sp.GetRequiredService<SecretRedactor>().Redact));

        services.AddSingleton<IProcessLauncher>(sp => new LocalProcessLauncher(sp.GetRequiredService<TimeProvider>(), Leftovers.OwnerId(options.DataDir)));
        services.AddSingleton<HealthProbe>();
        services.AddSingleton<PortAllocator>();
        services.AddSingleton<Supervisor>();

        services.AddSingleton<Routes>();
        services.AddSingleton(TrustedProxies.Parse(options.TrustedProxies));
        services.AddSingleton(sp => new HttpForwarder(sp.GetRequiredService<TrustedProxies>()));
        services.AddSingleton<AccessMetrics>();
        services.AddSingleton(sp => new AccessLog(sp.GetRequiredService<LogStore>()));
        services.AddSingleton(sp => new EdgeHandler(sp.GetRequiredService<Routes>(), sp.GetRequiredService<HttpForwarder>(),
            sp.GetRequiredService<AccessMetrics>(), options.AccessLog ? sp.GetRequiredService<AccessLog>() : null,
            sp.GetRequiredService<TrustedProxies>(), sp.GetRequiredService<TimeProvider>()));
        if (options.HttpsPort is not null)
        {
            services.AddCertificateStore(options);
        }
        services.AddSingleton<EdgeServer>();

        services.AddSingleton<StepRunner>();
        services.AddSingleton(sp => new Builder(sp.GetRequiredService<StepRunner>(), sp.GetRequiredService<LogStore>(),
            sp.GetRequiredService<TimeProvider>(), options.EffectiveCacheDir));
        services.AddDeploy(new DeployOptions
        {
            DataDir = options.DataDir,
            BuildsDir = options.BuildsDir,
            CacheDir = options.EffectiveCacheDir,
            KeepBuilds = options.KeepBuilds,
            WarmWindow = options.WarmWindow,
            HttpPort = options.HttpPort,
        });
        services.AddSingleton<AppViews>();

        // Order matters: the edge listens before recovery routes apps to it; on shutdown (reverse order)
        // recovery stops every instance before the edge closes.
        services.AddHostedService(sp => sp.GetRequiredService<EdgeServer>());
        services.AddSlipwayJobs(options);
        services.AddDatabases(options);
        services.AddHostedService<Recovery>();
        services.AddJobRunners();
        return services;
    }
}
