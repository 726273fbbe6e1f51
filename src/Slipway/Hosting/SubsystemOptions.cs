using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Slipway.Api;
using Slipway.Databases;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Jobs;

namespace Slipway.Hosting;

/// <summary>Maps `slipway server`'s flags (<see cref="PlatformOptions"/>) onto each subsystem's own options, and
/// says which flag to fix when a value cannot work. The rules live here, not beside the types, because only the
/// host knows the flags' names.</summary>
internal static class SubsystemOptions
{
    public static IServiceCollection AddSubsystemOptions(this IServiceCollection services, PlatformOptions options)
    {
        services.AddHostOptions<EdgeOptions>(o =>
            {
                o.HttpAddress = options.HttpAddress;
                o.HttpPort = options.HttpPort;
                o.HttpsPort = options.HttpsPort;
                o.TrustedProxies = options.TrustedProxies;
                o.AccessLog = options.AccessLog;
                o.CertsDir = options.CertsDir;
            })
            .Validate(o => IPAddress.TryParse(o.HttpAddress, out _),
                "--listen must be an IP address such as 127.0.0.1 or 0.0.0.0.")
            .Validate(o => IsPort(o.HttpPort), "--http-port must be a port number from 1 to 65535.")
            .Validate(o => o.HttpsPort is null || IsPort(o.HttpsPort.Value), "--https-port must be a port number from 1 to 65535.")
            // 0 asks for a free port (tests), so two zeros are two different ports.
            .Validate(o => o.HttpsPort is not { } https || https == 0 || https != o.HttpPort,
                "--https-port must differ from --http-port: the edge serves plain HTTP and TLS on separate ports.");

        services.AddHostOptions<ApiOptions>(o =>
            {
                o.DataDir = options.DataDir;
                o.CliFile = options.CliFile;
                o.ApiPort = options.ApiPort;
                o.PlatformHost = options.PlatformHost;
                o.StreamKeepAlive = options.PlatformIdleTimeout / 4;
            })
            .Validate(o => o.StreamKeepAlive > TimeSpan.Zero, "the platform's idle timeout must be positive.")
            .Validate(o => o.CliFile is null || File.Exists(o.CliFile), "--cli-file must name an existing file (the self-contained slipway for linux-x64).");
        services.AddHostOptions<Access.AccessOptions>(o => o.Issuer = options.PlatformHost);

        services.AddHostOptions<DeployOptions>(o =>
            {
                o.DataDir = options.DataDir;
                o.BuildsDir = options.BuildsDir;
                o.CacheDir = options.EffectiveCacheDir;
                // As root the managed databases live under /var/lib/slipway by default (Databases/DatabasesOptions).
                o.PrivateDirs = [options.DataDir, options.EffectiveCacheDir, options.DatabasesDir ?? "/var/lib/slipway"];
                o.KeepBuilds = options.KeepBuilds;
                o.WarmWindow = options.WarmWindow;
                o.PlatformHost = options.PlatformHost;
            })
            .Validate(o => o.KeepBuilds >= 0, "--keep-builds cannot be negative (0 keeps only the live build).")
            .Validate(o => o.WarmWindow >= TimeSpan.Zero, "--warm-window cannot be negative; 0s stops replaced instances at once.")
            .Validate(o => Path.IsPathFullyQualified(o.BuildsDir) && Path.IsPathFullyQualified(o.CacheDir),
                "--data and --cache-dir must be absolute paths.");

        services.AddHostOptions<JobsOptions>(o =>
        {
            o.DatabasePath = options.DatabasePath;
            o.Clock = options.JobsClock;
        });

        services.AddHostOptions<Monitoring.DrainsOptions>(o => o.Hostname = options.PlatformHost);
        services.AddHostOptions<Monitoring.Alerts.AlertsOptions>(o =>
        {
            o.Interval = options.AlertInterval;
            o.ResolveAfter = options.AlertResolveAfter;
        });

        services.AddHostOptions<Monitoring.Uptime.UptimeOptions>(o =>
            {
                o.DataDir = options.DataDir;
                o.MinInterval = options.UptimeMinInterval;
                o.DefaultInterval = options.UptimeInterval;
                o.Tick = options.UptimeTick;
                o.Reconcile = options.UptimeReconcile;
            })
            .Validate(o => o.MinInterval > TimeSpan.Zero && o.DefaultInterval >= o.MinInterval, "the uptime interval must be at least the minimum interval.")
            .Validate(o => o.Tick > TimeSpan.Zero && o.Reconcile > TimeSpan.Zero, "the uptime tick and reconcile interval must be positive.");

        services.AddHostOptions<Monitoring.Alerts.Channels.AlertChannelsOptions>(o => o.PlatformHost = options.PlatformHost);

        services.AddHostOptions<Domains.DomainsOptions>(o =>
            {
                o.AcmeDirectory = options.AcmeDirectory;
                o.AcmeEmail = options.AcmeEmail;
                o.AcmeCaRoots = Domains.AcmeCaRoots.Load(options.AcmeCaRoot);
                o.AcmeClient = options.AcmeClient;
                if (options.AcmeChallenge is { } challenge)
                {
                    o.ChallengeTypes = [challenge];
                }
                o.Tick = options.CertificateTick;
            })
            .Validate(o => o.Tick > TimeSpan.Zero, "the certificate tick must be positive.")
            .Validate(o => o.ChallengeTypes.All(t => t is Domains.Acme.AcmeChallenge.Http01 or Domains.Acme.AcmeChallenge.TlsAlpn01),
                "--acme-challenge must be http-01 (the CA connects to port 80) or tls-alpn-01 (to port 443).");

        services.AddHostOptions<DatabasesOptions>(o =>
            {
                o.DataDir = options.DataDir;
                o.DatabasesDir = options.DatabasesDir;
                o.BackupTick = options.BackupTick;
                o.PitrWindow = options.PitrWindow;
                o.BaseBackupInterval = options.BaseBackupInterval;
            })
            .Validate(o => o.DatabasesDir is null || Path.IsPathFullyQualified(o.DatabasesDir), "--databases-dir must be an absolute path.")
            .Validate(o => o.BackupTick > TimeSpan.Zero && o.PitrWindow > TimeSpan.Zero && o.BaseBackupInterval > TimeSpan.Zero,
                "the backup tick, point-in-time window and base backup interval must be positive.");
        return services;
    }

    /// <summary>Options bound once from the flags, checked when the host starts (ValidateOnStart, and earlier in
    /// PlatformHost.Build), and registered as the plain value: the flags never change while the platform runs, so
    /// consumers take <typeparamref name="T"/> itself rather than IOptions&lt;T&gt;, and tests build one with an
    /// object initializer.</summary>
    private static OptionsBuilder<T> AddHostOptions<T>(this IServiceCollection services, Action<T> map) where T : class
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services.AddOptions<T>().Configure(map).ValidateOnStart();
    }

    private static bool IsPort(int port) => port is >= 0 and <= 65535;
}
