using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Slipway.Monitoring;

/// <summary>Exports every instrument of the "Slipway" meter, plus .NET's own runtime meter (GC, JIT, thread pool,
/// process CPU and memory), as Prometheus text through OpenTelemetry's exporter; the API maps it at /metrics.
///
/// Why OpenTelemetry and not prometheus-net: the instruments are .NET's own Meter API, which OpenTelemetry reads
/// natively (prometheus-net has its own instrument types and reads Meters through an adapter that converts every
/// measurement); the same instruments can later go to an OTLP collector by adding one exporter; and its SDK caps
/// each metric's label sets (past the cap, measurements are folded into one series labelled
/// otel_metric_overflow="true", so nothing is silently lost). Two platforms in one process (tests) each export only
/// the instruments their own IMeterFactory made: the view drops any other "Slipway" instrument.</summary>
internal static class MetricsRegistration
{
    /// <summary>Label sets kept per metric (the SDK's default). The edge's request counter has a label set per
    /// series and status class, and its histogram one per series, so theirs are sized from the edge's own cap and
    /// the SDK never folds a series the edge still counts into its overflow series.</summary>
    public const int CardinalityLimit = 2000;

    private static int LimitOf(string instrument) => instrument switch
    {
        "slipway.http.server.requests" => Edge.AccessMetrics.DefaultMaxSeries * 5 + 1,
        "slipway.http.server.request.duration" => Edge.AccessMetrics.DefaultMaxSeries + 1,
        _ => CardinalityLimit,
    };

    /// <summary>.NET's runtime gauges whose names end in ".count": Prometheus reserves _count for histograms and
    /// summaries (promtool check metrics refuses them), so they are exported under these names.</summary>
    private static readonly Dictionary<string, string> PrometheusNames = new(StringComparer.Ordinal)
    {
        ["dotnet.assembly.count"] = "dotnet.assemblies.loaded",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus",
        ["dotnet.thread_pool.thread.count"] = "dotnet.thread_pool.threads",
        ["dotnet.timer.count"] = "dotnet.timers",
    };

    public static IServiceCollection AddSlipwayMetrics(this IServiceCollection services, string dataDir, bool export = true)
    {
        services.AddSingleton(sp => new PlatformMetrics(dataDir, sp.GetService<Edge.Tls.CertificateStore>(), sp.GetRequiredService<IMeterFactory>()));
        services.AddSingleton<Runtime.InstanceMetrics>();
        services.AddSingleton<Runtime.LogMetrics>();
        services.AddSingleton(sp => new MetricsHistory(Path.Combine(dataDir, "metrics.db"), sp.GetRequiredService<Edge.AccessMetrics>(),
            sp.GetRequiredService<TimeProvider>(), logger: sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<MetricsHistory>>()));
        services.AddHostedService<MetricsRollup>();
        if (!export)
        {
            return services;
        }
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PlatformMeter.Name, "System.Runtime")
            .AddPrometheusExporter(o =>
            {
                // Every scrape reads the instruments now (the default 300 ms cache would hand two scrapers one reading).
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                o.TargetInfoEnabled = false;
                o.ScopeInfoEnabled = false;
            }));
        services.ConfigureOpenTelemetryMeterProvider((sp, builder) =>
        {
            var factory = sp.GetRequiredService<IMeterFactory>();
            builder.AddView(instrument => instrument.Meter.Name == PlatformMeter.Name && !ReferenceEquals(instrument.Meter.Scope, factory)
                ? MetricStreamConfiguration.Drop
                : new MetricStreamConfiguration
                {
                    Name = PrometheusNames.GetValueOrDefault(instrument.Name),
                    CardinalityLimit = LimitOf(instrument.Name),
                });
        });
        return services;
    }

    /// <summary>Builds the instruments that only observe (their constructors register the callbacks) before the first scrape.</summary>
    public static void CreateObservers(IServiceProvider services)
    {
        services.GetRequiredService<PlatformMetrics>();
        services.GetRequiredService<Runtime.InstanceMetrics>();
        services.GetRequiredService<Runtime.LogMetrics>();
        services.GetRequiredService<Jobs.JobMetrics>();
        services.GetRequiredService<Databases.DatabaseMetrics>();
        services.GetRequiredService<Edge.AccessMetrics>();
        services.GetRequiredService<Deploy.DeployMetrics>();
    }
}
