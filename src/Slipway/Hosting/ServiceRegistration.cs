using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Access;
using Slipway.Api;
using Slipway.Builds;
using Slipway.Config;
using Slipway.Dashboard;
using Slipway.Databases;
using Slipway.Domains;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Edge.Tls;
using Slipway.Errors;
using Slipway.Git;
using Slipway.Jobs;
using Slipway.Monitoring;
using Slipway.Offsite;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.Monitoring.StatusPages;
using Slipway.Monitoring.Uptime;
using Slipway.Runtime;
using Slipway.Sandbox;
using Slipway.State;

namespace Slipway.Hosting;

internal static class ServiceRegistration
{
    public static IServiceCollection AddSlipway(this IServiceCollection services, PlatformOptions options)
    {
        // One pattern for host settings: each subsystem owns a small *Options class (Edge, Api, Deploy, Jobs,
        // Databases); SubsystemOptions maps the flags onto it with AddOptions<T>().Configure(...), checks it with
        // Validate(rule, "message naming the flag").ValidateOnStart(), and registers the validated value, so
        // subsystems inject EdgeOptions, DeployOptions... and never see PlatformOptions. State and Runtime take
        // their paths as constructor arguments below. Decisions made while registering (is HTTPS on?) read the
        // flags directly.
        services.AddSubsystemOptions(options);
        services.AddSingleton(options.Sockets);
        services.AddSingleton(sp => new PlatformUpgrade(options));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new Store(options.DatabasePath, sp.GetRequiredService<TimeProvider>(),
            sp.GetServices<ISealedRows>(), sp.GetServices<IAppRows>()));
        services.AddSingleton(new Keyring(options.DataDir));
        services.AddSingleton<SecretRedactor>();
        services.AddSingleton<ConfigVars>();
        // The log drains (Monitoring/) see every stored line through the store's tap.
        services.AddSingleton(sp => new LogStore(options.LogsDir, redact: sp.GetRequiredService<SecretRedactor>().Redact,
            tap: sp.GetService<ILogTap>(), logger: sp.GetRequiredService<ILogger<LogStore>>()));

        services.AddSingleton(options.Isolation ? HostSupport.Detect() : HostSupport.Off);
        services.AddSingleton(sp => new AppUsers(sp.GetRequiredService<Store>(), options.DataDir));
        services.AddSingleton<IProcessLauncher>(sp =>
        {
            var host = sp.GetRequiredService<HostSupport>();
            var owner = Leftovers.OwnerId(options.DataDir);
            var cgroups = host.CanLimit ? new Cgroups(host.Cgroups!, owner) : null;
            cgroups?.RemoveLeftovers();
            // Instances' output FIFOs live in the data directory (0700): only the platform opens them.
            return new LocalProcessLauncher(sp.GetRequiredService<TimeProvider>(), owner, host, cgroups, Path.Combine(options.DataDir, "run", "output"));
        });
        if (options.Isolation && HostSupport.Detect() is { CanFirewall: true } firewallHost)
        {
            services.AddSingleton(sp =>
            {
                // Rebuilt at start by Recovery, with the ports of the instances it adopts (Supervisor.ResetFirewallAsync).
                return new PortFirewall(Leftovers.OwnerId(options.DataDir), firewallHost.Nft!, sp.GetRequiredService<ILogger<PortFirewall>>());
            });
        }
        services.AddSingleton<HealthProbe>();
        services.AddSingleton<PortAllocator>();
        services.AddSingleton<Supervisor>();

        services.AddSingleton<Routes>();
        services.AddSingleton(TrustedProxies.Parse(options.TrustedProxies));
        services.AddSingleton(sp => new HttpForwarder(sp.GetRequiredService<TrustedProxies>(),
            lean: Environment.GetEnvironmentVariable("SLIPWAY_EDGE_LEAN") != "0"));
        services.AddSingleton<AccessMetrics>();
        services.AddSlipwayMetrics(options.DataDir, options.MetricsExport);
        services.AddSingleton(sp => new AccessLog(sp.GetRequiredService<LogStore>()));
        services.AddSingleton<AcmeHttpChallenges>();
        services.AddSingleton<DomainPolicies>();
        services.AddSingleton(sp => new EdgeHandler(sp.GetRequiredService<Routes>(), sp.GetRequiredService<HttpForwarder>(),
            sp.GetRequiredService<AccessMetrics>(), sp.GetRequiredService<EdgeOptions>().AccessLog ? sp.GetRequiredService<AccessLog>() : null,
            sp.GetRequiredService<TrustedProxies>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<AcmeHttpChallenges>(), sp.GetRequiredService<DomainPolicies>())
        {
            HostPaths = [.. sp.GetServices<IEdgeHostPath>()],
        });
        if (options.HttpsPort is not null)
        {
            services.AddCertificateStore(options.CertsDir);
        }
        services.AddSingleton<EdgeServer>();

        services.AddSingleton<StepRunner>();
        services.AddSingleton<Builder>();
        services.AddDeploy();
        services.AddSingleton<AppViews>();
        services.AddDashboard();
        services.AddSlipwayAccess();
        services.AddDomains(certificates: options.HttpsPort is not null);
        services.AddGit(options.DataDir);

        // Order matters. Start: the messages server listens (its URL is in every app's environment) before Recovery
        // adopts or starts apps; the database servers start in the background, in parallel with the apps; Recovery
        // routes every adopted instance and static site before the edge listens, so the edge never answers 404 for a
        // known app. Stop (reverse order): the edge finishes its in-flight requests, then Recovery leaves the instances
        // running for the next platform process.
        services.AddSlipwayJobs();
        // Also before Recovery: SENTRY_DSN names its port.
        services.AddErrors(options.DataDir);
        services.AddDatabases();
        services.AddOffsite(options.DataDir);
        // Before Recovery: drains start before the apps come back and stop after them, so their last lines go out.
        services.AddDrains();
        // Alerts: the engine asks every IAlertSource each round and hands notices to the channels (IAlertNotifier).
        services.AddAlerts();
        services.AddAlertSources();
        // Alert notices go out through the channels, each on its own sender; the engine only writes rows.
        services.AddAlertChannels();
        services.AddSingleton<Recovery>();
        services.AddHostedService(sp => sp.GetRequiredService<Recovery>());
        services.AddHostedService(sp => sp.GetRequiredService<EdgeServer>());
        // After Recovery: at a stop the checks end before the apps are stopped, so a platform stop opens no incident.
        services.AddUptime().AddStatusPages();
        services.AddJobRunners();
        return services;
    }
}
