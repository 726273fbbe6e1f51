namespace Slipway.Offsite;

/// <summary>Copies to a store under way, so that `storage rm` decides and removes while none is: a copy that finished
/// between rm's "does it hold the only copy of anything" check and the removal would record its object under a store
/// Slipway no longer knows, and (with no local copy kept) delete the file here, leaving the only copy forgotten.
///
/// rm closes the store: new copies to it copy nothing, and those in flight are cancelled (a store that hangs is often
/// why it is being removed, and an upload may take minutes) and waited for. A cancelled copy has recorded nothing and
/// deleted nothing: what it was copying stays here, pending, as after any failed copy.</summary>
internal sealed class StoreUses
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<StoreUse>> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _closing = new(StringComparer.Ordinal);

    /// <summary>A use of <paramref name="storage"/> until disposed (its <see cref="StoreUse.Token"/> is cancelled if the
    /// store is closed meanwhile), or null while it is being closed.</summary>
    public StoreUse? TryEnter(string storage, CancellationToken token)
    {
        lock (_gate)
        {
            if (_closing.ContainsKey(storage))
            {
                return null;
            }
            var use = new StoreUse(this, storage, token);
            if (!_inFlight.TryGetValue(storage, out var uses))
            {
                _inFlight[storage] = uses = [];
            }
            uses.Add(use);
            return use;
        }
    }

    /// <summary>Shuts new uses of <paramref name="storage"/> out, cancels those in flight and waits for them to end;
    /// disposing the result lets uses in again (after the removal, or a refused one).</summary>
    public async Task<IDisposable> CloseAsync(string storage, CancellationToken token)
    {
        TaskCompletionSource drained;
        List<StoreUse> cancelled;
        lock (_gate)
        {
            if (_closing.ContainsKey(storage))
            {
                throw new UserException($"Store {storage} is being removed already; 'slipway storage ls' shows when it is gone.", 409);
            }
            drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _closing[storage] = drained;
            cancelled = _inFlight.TryGetValue(storage, out var uses) ? [.. uses] : [];
            if (cancelled.Count == 0)
            {
                drained.SetResult();
            }
        }
        var closed = new Reopen(this, storage);
        try
        {
            foreach (var use in cancelled)
            {
                use.Close();
            }
            await drained.Task.WaitAsync(token);
        }
        catch
        {
            closed.Dispose();
            throw;
        }
        return closed;
    }

    private void Leave(StoreUse use, string storage)
    {
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(storage, out var uses) || !uses.Remove(use) || uses.Count > 0)
            {
                return;
            }
            _inFlight.Remove(storage);
            if (_closing.TryGetValue(storage, out var drained))
            {
                drained.TrySetResult();
            }
        }
    }

    private void Open(string storage)
    {
        lock (_gate)
        {
            _closing.Remove(storage);
        }
    }

    /// <summary>One copy's use of a store: pass <see cref="Token"/> to its requests.</summary>
    internal sealed class StoreUse : IDisposable
    {
        private readonly StoreUses _uses;
        private readonly string _storage;
        private readonly CancellationTokenSource _close;
        private int _disposed;

        public StoreUse(StoreUses uses, string storage, CancellationToken token)
        {
            _uses = uses;
            _storage = storage;
            _close = CancellationTokenSource.CreateLinkedTokenSource(token);
        }

        public CancellationToken Token => _close.Token;

        /// <summary>Whether the store was closed under it (as opposed to the caller's own token ending).</summary>
        public bool Closed { get; private set; }

        internal void Close()
        {
            Closed = true;
            try
            {
                _close.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended on its own meanwhile.
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _uses.Leave(this, _storage);
                _close.Dispose();
            }
        }
    }

    private sealed class Reopen(StoreUses uses, string storage) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                uses.Open(storage);
            }
        }
    }
}
