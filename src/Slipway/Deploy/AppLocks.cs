using System.Collections.Concurrent;

namespace Slipway.Deploy;

/// <summary>One lock per app: deployments, rollbacks, restarts, stop, start and destroy of an app run one at
/// a time, so none of them can undo another half-way.</summary>
internal sealed class AppLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public bool TryEnter(string app) => Gate(app).Wait(0);

    public Task EnterAsync(string app, CancellationToken cancellationToken) => Gate(app).WaitAsync(cancellationToken);

    /// <summary>Holds the app's lock until the result is disposed.</summary>
    public async Task<IDisposable> HoldAsync(string app, CancellationToken cancellationToken)
    {
        var gate = Gate(app);
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    public void Exit(string app) => Gate(app).Release();

    private SemaphoreSlim Gate(string app) => _locks.GetOrAdd(app, _ => new SemaphoreSlim(1, 1));

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
