using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Slipway.Api;
using Slipway.Dashboard;
using Slipway.Jobs;

namespace Slipway.Hosting;

/// <summary>Composes one platform process: the API (Unix socket, optional TCP with a token) plus the edge,
/// the supervisor and the deploy engine as hosted services. `slipway server` runs it; tests run it in-process.</summary>
internal static class PlatformHost
{
    public static WebApplication Build(PlatformOptions options, LogLevel logLevel = LogLevel.Information)
    {
#pragma warning disable CA2000 // released when the application stops, or by RefuseBadOptions when it never starts
        var dataLock = DataDirectory.Acquire(options.DataDir, options.DataLockWait);
#pragma warning restore CA2000
        // Beside the start-up (which runs on one thread): Recovery needs it before the edge listens.
        _ = Task.Run(Deploy.RecordedReleases.WarmUp);
        var builder = WebHosts.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            c.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(45));
        // The API answers in Slipway's spellings (times "2026-12-03T06:00:00.000Z", durations "5s"), as --json prints them.
        builder.Services.ConfigureHttpJsonOptions(o => JsonSpellings.AddTo(o.SerializerOptions));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Through sockets that outlive this process when a supervisor or a successor holds them (ListeningSockets).
            kestrel.ListenHandle(ListeningSockets.HandleFor(options.Sockets.Unix("api", options.SocketPath)));
            if (options.ApiPort is { } port)
            {
                kestrel.ListenHandle(ListeningSockets.HandleFor(options.Sockets.Tcp("api-tcp", System.Net.IPAddress.Loopback, port)));
            }
            // The edge forwards the platform host here; only loopback can connect.
            kestrel.Listen(System.Net.IPAddress.Loopback, 0);
        });
        builder.Services.AddSlipway(options);
        if (options.HandBackStartupPages)
        {
            builder.Services.AddHostedService<ResidentCode>();
        }

        var app = builder.Build();
        RefuseBadOptions(app, dataLock);
        var token = ApiToken.LoadOrCreate(options.TokenPath);
        var access = app.Services.GetRequiredService<Access.AccessService>();
        access.SetupCodePath = options.SetupCodePath;
        access.EnsureSetupCode();
        // The data directory is free again once this platform has stopped (a restart in the same process).
        app.Lifetime.ApplicationStopped.Register(dataLock.Dispose);
        app.Lifetime.ApplicationStopped.Register(() => options.Sockets.Release("api", "api-tcp"));
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            File.SetUnixFileMode(options.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            RoutePlatformHost(app, options);
        });
        // A status page's hostname gets its page and nothing else of the API (before the hardening's host allow-list).
        app.UseStatusPages();
        app.UseApiHardening(options.PlatformHost);
        app.UseSlipwayErrors();
        AppScope.UseAppScopes(app);
        // Over the Unix socket the file mode is the access control (local:UID); over TCP a token or a login is.
        app.UseAccessControl(token);
        app.MapSlipwayApi();
        app.MapAccessApi();
        app.MapUploadApi(Path.Combine(options.DataDir, "uploads"));
        app.MapCliDownload();
        app.MapGitApi();
        app.MapErrorApi();
        app.MapOffsiteApi();
        app.MapConfigApi();
        app.MapKeyApi();
        app.MapJobsApi();
        app.MapMetricsApi();
        app.MapDrainsApi();
        app.MapAlertsApi();
        app.MapUptimeApi();
        app.MapStatusPageApi();
        app.MapChannelsApi();
        Api.DatabaseEndpoints.MapDatabaseApi(app);
        app.MapDashboard();
        MapUpgrade(app);
        return app;
    }

    /// <summary>`slipway upgrade`: hands this platform to a successor started from another binary (see <see cref="Handover"/>).
    /// Answers once the successor has the sockets; then this platform stops and leaves its apps to it. Only the server's
    /// owner may (no requirement declared).</summary>
    private static void MapUpgrade(WebApplication app) =>
        app.MapPost("/v1/platform/upgrade", async (UpgradeRequest request, PlatformUpgrade upgrade, Edge.EdgeServer edge, Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime,
            HttpContext context) =>
        {
            var (pid, version) = await upgrade.HandOverAsync(request.Binary, context.RequestAborted);
            // Stop once this answer is out: the API waits for its requests, this one included.
            context.Response.OnCompleted(() =>
            {
                edge.HandOver();
                lifetime.StopApplication();
                return Task.CompletedTask;
            });
            return Results.Ok(new UpgradeDto(pid, version, Handover.Version));
        });

    /// <summary>The edge serves the API under the platform host (HTTP and, when on, HTTPS): logins and tokens from
    /// anywhere reach it there. Its port is the loopback listener Kestrel picked.</summary>
    private static void RoutePlatformHost(WebApplication app, PlatformOptions options)
    {
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        var port = addresses.Select(a => Uri.TryCreate(a, UriKind.Absolute, out var uri) && uri.Host == "127.0.0.1" ? uri.Port : 0)
            .FirstOrDefault(p => p > 0 && p != options.ApiPort);
        if (port > 0)
        {
            app.Services.GetRequiredService<Edge.Routes>().SetPlatform(options.PlatformHost, port, options.PlatformIdleTimeout);
        }
    }

    /// <summary>Runs the options' start-up validation now (StartAsync would run it too) so that a bad flag is a
    /// user error naming the flag, not a stack trace, and the data directory is let go again.</summary>
    private static void RefuseBadOptions(WebApplication app, DataDirectory dataLock)
    {
        try
        {
            app.Services.GetService<IStartupValidator>()?.Validate();
        }
        catch (Exception e) when (e is OptionsValidationException or AggregateException)
        {
            var failures = (e is AggregateException all ? all.InnerExceptions : [e])
                .OfType<OptionsValidationException>().SelectMany(f => f.Failures).ToList();
            if (failures.Count == 0)
            {
                throw;
            }
            ((IDisposable)app).Dispose();
            dataLock.Dispose();
            throw new UserException("Cannot start: " + string.Join(" ", failures));
        }
    }
}
