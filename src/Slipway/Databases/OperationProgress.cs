namespace Slipway.Databases;

/// <summary>The steps of a long database operation (backup, restore, branch, recovery), reported as they
/// happen: streamed to the CLI (<see cref="ProgressStream"/>), or dropped (<see cref="None"/>) for scheduled
/// work and for clients that want only the outcome. Steps never carry a password or a URL.</summary>
internal sealed class OperationProgress(Func<string, Task>? sink)
{
    public static readonly OperationProgress None = new(null);

    public Task StepAsync(string step) => sink?.Invoke(step) ?? Task.CompletedTask;

    /// <summary>The same sink with each step prefixed (a restore's safety backup: "safety backup: ...").</summary>
    public OperationProgress Prefixed(string prefix) => sink is null ? None : new(step => sink(prefix + step));

    /// <summary>Reports <paramref name="measure"/> every <paramref name="every"/> until disposed: how far a
    /// copy has come while pg_restore works (it says nothing itself).</summary>
    public IAsyncDisposable Every(TimeSpan every, Func<CancellationToken, Task<string?>> measure)
    {
        if (sink is null)
        {
            return new Ticker(Task.CompletedTask, new CancellationTokenSource());
        }
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(every);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    if (await measure(stop.Token) is { } step)
                    {
                        await sink(step);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or Npgsql.NpgsqlException or IOException or InvalidOperationException)
            {
                // A measurement that fails (the copy just finished or was dropped) ends the reports, not the operation.
            }
        }, CancellationToken.None);
        return new Ticker(loop, stop);
    }

    private sealed class Ticker(Task loop, CancellationTokenSource stop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await loop;
            stop.Dispose();
        }
    }

    public static string Size(long bytes) => bytes switch
    {
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} kB",
        < 1024L * 1024 * 1024 => $"{bytes / 1024.0 / 1024:0.0} MB",
        _ => $"{bytes / 1024.0 / 1024 / 1024:0.00} GB",
    };
}
