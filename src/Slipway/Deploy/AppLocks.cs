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

    /// <summary>Every listed app's lock, taken in name order (so two callers can never deadlock).</summary>
    public async Task<IDisposable> HoldAllAsync(IEnumerable<string> apps, CancellationToken cancellationToken)
    {
        var held = new List<IDisposable>();
        try
        {
            foreach (var app in apps.Distinct().Order(StringComparer.Ordinal))
            {
                held.Add(await HoldAsync(app, cancellationToken));
            }
        }
        catch
        {
            held.ForEach(h => h.Dispose());
            throw;
        }
        return new All(held);
    }

    private sealed class All(List<IDisposable> held) : IDisposable
    {
        public void Dispose() => held.ForEach(h => h.Dispose());
    }

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
