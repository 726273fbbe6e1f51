using Microsoft.Extensions.Hosting;

namespace Slipway.Git;

/// <summary>Every ten minutes, removes the previews whose pull request has gone their app's TTL without a change.</summary>
internal sealed class PreviewSweeper(Previews previews, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await previews.SweepAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
