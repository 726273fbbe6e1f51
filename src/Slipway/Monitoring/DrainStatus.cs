namespace Slipway.Monitoring;

/// <summary>How a drain's deliveries go, as its sender updates it and `drains ls` reads it: thread-safe, and marked
/// dirty until saved. Starts from what the row last saved, so counts go on across restarts.</summary>
internal sealed class DrainStatus(DrainRecord saved)
{
    private readonly Lock _gate = new();
    private DrainState _state = JsonSpellings.Parse<DrainState>(saved.State);
    private long _delivered = saved.Delivered;
    private DateTimeOffset? _lastDeliveredAt = saved.LastDeliveredAt;
    private string? _lastError = saved.LastError;
    private DateTimeOffset? _lastErrorAt = saved.LastErrorAt;
    private bool _dirty;

    internal sealed record Snapshot(DrainState State, long Delivered, long Dropped, DateTimeOffset? LastDeliveredAt, string? LastError,
        DateTimeOffset? LastErrorAt);

    public DrainState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>Records a delivered batch; true when the drain was failing until now.</summary>
    public bool Delivered(int lines, DateTimeOffset at)
    {
        lock (_gate)
        {
            var recovered = _state == DrainState.Failing;
            _state = DrainState.Up;
            _delivered += lines;
            _lastDeliveredAt = at;
            _dirty = true;
            return recovered;
        }
    }

    /// <summary>Records a failed attempt; true when the drain was up until now.</summary>
    public bool Failed(string? error, DateTimeOffset at)
    {
        lock (_gate)
        {
            var fell = _state == DrainState.Up;
            _state = DrainState.Failing;
            _lastError = error;
            _lastErrorAt = at;
            _dirty = true;
            return fell;
        }
    }

    public Snapshot Read(long dropped)
    {
        lock (_gate)
        {
            return new Snapshot(_state, _delivered, dropped, _lastDeliveredAt, _lastError, _lastErrorAt);
        }
    }

    /// <summary>The status to save, if it changed since the last time this was asked.</summary>
    public Snapshot? TakeChanged(long dropped, long droppedSaved)
    {
        lock (_gate)
        {
            if (!_dirty && dropped == droppedSaved)
            {
                return null;
            }
            _dirty = false;
            return new Snapshot(_state, _delivered, dropped, _lastDeliveredAt, _lastError, _lastErrorAt);
        }
    }
}
