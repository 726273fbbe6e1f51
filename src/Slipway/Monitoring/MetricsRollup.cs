using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Slipway.Monitoring;

/// <summary>Rolls the edge's counts into <see cref="MetricsHistory"/> once a minute, just after the minute turns.</summary>
internal sealed partial class MetricsRollup(MetricsHistory history, TimeProvider clock, ILogger<MetricsRollup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            var next = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1).AddSeconds(1);
            try
            {
                await Task.Delay(next - now, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                history.RollUp();
            }
            catch (Exception e)
            {
                // Whatever failed, the platform goes on; the next minute's roll-up carries this one's counts.
                LogRollupFailed(logger, e);
            }
        }
    }

    /// <summary>The running minute's counts are stored at a stop, not lost with the process.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            history.RollUp(current: true);
        }
        catch (Exception e)
        {
            LogRollupFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics history: this minute's roll-up failed; the next one carries its counts")]
    private static partial void LogRollupFailed(ILogger logger, Exception exception);
}
