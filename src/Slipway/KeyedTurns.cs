namespace Slipway;

/// <summary>One at a time per key (a pull request, an app), for keys without end: a key's gate exists only while
/// somebody holds or waits for it, so a platform that has seen a million pull requests keeps no gate for them.</summary>
internal sealed class KeyedTurns<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, (SemaphoreSlim Gate, int Users)> _gates = new();

    /// <summary>Waits for <paramref name="key"/>'s turn; disposing the result ends it.</summary>
    public async Task<IDisposable> TakeAsync(TKey key, CancellationToken token = default)
    {
        SemaphoreSlim gate;
        lock (_gates)
        {
#pragma warning disable CA2000 // the gate is disposed by Leave when its last user leaves
            var entry = _gates.TryGetValue(key, out var found) ? found : (Gate: new SemaphoreSlim(1, 1), Users: 0);
#pragma warning restore CA2000
            _gates[key] = (entry.Gate, entry.Users + 1);
            gate = entry.Gate;
        }
        try
        {
            await gate.WaitAsync(token);
        }
        catch
        {
            Leave(key);
            throw;
        }
        return new Turn(this, key, gate);
    }

    /// <summary>How many keys have a gate now (tests).</summary>
    internal int Count
    {
        get
        {
            lock (_gates)
            {
                return _gates.Count;
            }
        }
    }

    private void Leave(TKey key)
    {
        lock (_gates)
        {
            var entry = _gates[key];
            if (entry.Users == 1)
            {
                _gates.Remove(key);
                entry.Gate.Dispose();
            }
            else
            {
                _gates[key] = (entry.Gate, entry.Users - 1);
            }
        }
    }

    private sealed class Turn(KeyedTurns<TKey> owner, TKey key, SemaphoreSlim gate) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                gate.Release();
                owner.Leave(key);
            }
        }
    }
}
