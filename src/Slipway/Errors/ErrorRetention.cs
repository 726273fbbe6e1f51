using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Slipway.Errors;

/// <summary>Keeps errors.db bounded: every <see cref="ErrorsOptions.SweepInterval"/>, events and issues past
/// <see cref="ErrorsOptions.Retention"/> go, and each app environment's events past
/// <see cref="ErrorsOptions.MaxBytesPerApp"/> (oldest first, never an issue's latest); each app keeps the source maps of
/// its newest <see cref="SourceMaps.SourceMapStore.KeptReleases"/> releases.</summary>
internal sealed partial class ErrorRetention(ErrorStore store, SourceMaps.SourceMapStore maps, State.Store state, ErrorsOptions options, TimeProvider clock,
    ILogger<ErrorRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval, clock);
        do
        {
            try
            {
                if (store.Sweep(clock.GetUtcNow(), options.Retention, options.MaxBytesPerApp) is > 0 and var deleted)
                {
                    LogSwept(logger, deleted);
                }
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                LogFailed(logger, e);
            }
            try
            {
                var inUse = ReleasesInUse();
                maps.Prune(app => inUse.TryGetValue(app, out var releases) ? releases : new HashSet<string>());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Per app, the releases its environments serve or would roll back to (their last few live deployments').</summary>
    private Dictionary<string, IReadOnlySet<string>> ReleasesInUse()
    {
        var inUse = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var env in state.ListApps())
        {
            var releases = state.ListDeployments(env.Name, 50).Where(d => d.LiveAt is not null).Take(RollbackDepth)
                .Select(ErrorReleases.NameOf).OfType<string>();
            inUse[env.App] = inUse.TryGetValue(env.App, out var known) ? known.Union(releases).ToHashSet() : releases.ToHashSet();
        }
        return inUse;
    }

    /// <summary>Live deployments per environment whose maps are kept whatever else is built: the live one and the ones
    /// a rollback would most likely go back to.</summary>
    private const int RollbackDepth = 5;

    [LoggerMessage(Level = LogLevel.Information, Message = "Error tracking's retention deleted {Count} events")]
    private static partial void LogSwept(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Error tracking's retention sweep failed; it runs again at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
