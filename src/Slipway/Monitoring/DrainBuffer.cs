namespace Slipway.Monitoring;

/// <summary>One drain's lines waiting for its sender, bounded by a number of lines and by memory. Adding never waits:
/// when either bound is reached the oldest line is dropped and counted (the newest lines are what someone reading
/// the receiver after an outage wants), so an app's output never slows down for a drain.</summary>
internal sealed class DrainBuffer(int maxLines, long maxBytes)
{
    private readonly Lock _gate = new();
    private readonly Queue<DrainLine> _lines = new();
    private long _bytes;
    private long _dropped;
    private TaskCompletionSource? _waiting;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>Lines dropped because the buffer was full, since it was made.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Add(DrainLine line)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _lines.Enqueue(line);
            _bytes += line.Size;
            // A single line larger than the byte cap is still kept: dropping it would tell no one what it said.
            while (_lines.Count > maxLines || (_bytes > maxBytes && _lines.Count > 1))
            {
                _bytes -= _lines.Dequeue().Size;
                Interlocked.Increment(ref _dropped);
            }
            wake = _waiting;
            _waiting = null;
        }
        // The sender continues on the thread pool (RunContinuationsAsynchronously), never on the appending thread.
        wake?.TrySetResult();
    }

    /// <summary>Moves the oldest lines into <paramref name="batch"/>: at most <paramref name="lines"/> and, beyond the
    /// first, about <paramref name="bytes"/> of them. Returns how many.</summary>
    public int Take(List<DrainLine> batch, int lines, long bytes)
    {
        lock (_gate)
        {
            var taken = 0;
            long size = 0;
            while (taken < lines && _lines.TryPeek(out var next) && (taken == 0 || size + next.Size <= bytes))
            {
                _lines.Dequeue();
                _bytes -= next.Size;
                size += next.Size;
                batch.Add(next);
                taken++;
            }
            return taken;
        }
    }

    /// <summary>Completes when the buffer holds a line (at once if it does).</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_lines.Count > 0)
            {
                return Task.CompletedTask;
            }
            _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiting.Task.WaitAsync(cancellationToken);
        }
    }
}
