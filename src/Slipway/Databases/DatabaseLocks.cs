using System.Collections.Concurrent;

namespace Slipway.Databases;

/// <summary>One backup, restore or branch at a time per database.</summary>
internal sealed class DatabaseLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public async Task<IDisposable> HoldAsync(string databaseId, CancellationToken token)
    {
        var gate = _locks.GetOrAdd(databaseId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(token);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
