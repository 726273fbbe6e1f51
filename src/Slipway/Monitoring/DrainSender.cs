namespace Slipway.Monitoring;

/// <summary>One drain's delivery loop: the only reader of its buffer and the only writer to its target, so lines
/// arrive in the order the log store kept them, retries included.
///
/// <code>
///  LogStore.Append ─► Drains (tap) ─► DrainBuffer.Add (never waits; full: the oldest line is dropped and counted)
///                                          │
///                 ┌────────────────────────┘
///                 ▼
///  wait for a line ─► [HTTPS: up to BatchWait for a full batch] ─► take ≤ BatchLines ─► target.SendAsync
///        ▲                                                                                 │
///        ├──── delivered: status up, counts ◄──────────────────────────────────────────────┤
///        │                                                                                 │ failed
///        └── the same batch again ◄── backoff (DrainBackoff) ◄── status failing (event, warning once)
/// </code>
/// A stop with the platform sends what is held while the receiver takes it, within the flush time; a drain removed
/// by the user stops at once.</summary>
internal sealed class DrainSender : IAsyncDisposable
{
    private readonly DrainTarget _target;
    private readonly DrainsOptions _options;
    private readonly TimeProvider _clock;
    private readonly Func<string, AppRef> _appOf;
    private readonly Action<DrainSender, DrainState, string?> _changed;
    private readonly Action<DrainSender, Exception> _broken;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _flush = new();
    private readonly long _droppedBefore;
    private long _droppedSaved;
    private int _failures;
    private DrainAttempt _lastAttempt;
    private Task _loop = Task.CompletedTask;

    /// <param name="appOf">The app environment of a row key the router did not know (looked up off the appending path).</param>
    /// <param name="changed">Called on the sender's thread when the drain goes from up to failing or back.</param>
    /// <param name="broken">Called when the loop died of a bug.</param>
    public DrainSender(DrainRecord record, DrainTarget target, DrainsOptions options, TimeProvider clock, Func<string, AppRef> appOf,
        Action<DrainSender, DrainState, string?> changed, Action<DrainSender, Exception> broken)
    {
        Record = record;
        _target = target;
        _options = options;
        _clock = clock;
        _appOf = appOf;
        _changed = changed;
        _broken = broken;
        Buffer = new DrainBuffer(options.BufferLines, options.BufferBytes);
        Status = new DrainStatus(record);
        _droppedBefore = _droppedSaved = record.Dropped;
    }

    public DrainRecord Record { get; }

    public DrainBuffer Buffer { get; }

    public DrainStatus Status { get; }

    /// <summary>Lines dropped since the drain was added (saved ones included).</summary>
    public long Dropped => _droppedBefore + Buffer.Dropped;

    /// <summary>The status to save, when it changed since it was last saved.</summary>
    public DrainStatus.Snapshot? Unsaved()
    {
        var dropped = Dropped;
        var snapshot = Status.TakeChanged(dropped, Interlocked.Read(ref _droppedSaved));
        if (snapshot is not null)
        {
            Interlocked.Exchange(ref _droppedSaved, dropped);
        }
        return snapshot;
    }

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Stops the loop. Within <paramref name="flush"/>, lines it holds still go out while the receiver takes them.</summary>
    public async Task StopAsync(TimeSpan flush)
    {
        if (flush > TimeSpan.Zero)
        {
            _flush.CancelAfter(flush);
        }
        else
        {
            await _flush.CancelAsync();
        }
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        await _target.DisposeAsync();
        _stop.Dispose();
        _flush.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<DrainLine>(_options.BatchLines);
        try
        {
            while (true)
            {
                if (batch.Count == 0)
                {
                    await Buffer.WaitAsync(_stop.Token);
                    if (_target.Lingers && Buffer.Count < _options.BatchLines)
                    {
                        await Task.Delay(_options.BatchWait, _clock, _stop.Token);
                    }
                    Buffer.Take(batch, _options.BatchLines, _options.BatchBytes);
                }
                if (!await SendAsync(batch, _stop.Token))
                {
                    var wait = DrainBackoff.Next(_failures, _lastAttempt, _options.RetryBase, _options.RetryCap, Random.Shared.NextDouble());
                    await Task.Delay(wait, _clock, _stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            await FlushAsync(batch);
        }
        catch (Exception e)
        {
            _broken(this, e);
        }
    }

    /// <summary>Stopping: a drain that is up sends what it holds until it is empty, fails, or the flush time is over.</summary>
    private async Task FlushAsync(List<DrainLine> batch)
    {
        try
        {
            while (!_flush.IsCancellationRequested && Status.State == DrainState.Up &&
                   (batch.Count > 0 || Buffer.Take(batch, _options.BatchLines, _options.BatchBytes) > 0))
            {
                if (!await SendAsync(batch, _flush.Token))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_flush.IsCancellationRequested)
        {
            // What is left is lost with the process, as a full buffer's oldest lines are.
        }
    }

    private async Task<bool> SendAsync(List<DrainLine> batch, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].App is null)
            {
                batch[i] = batch[i] with { App = _appOf(batch[i].AppKey) };
            }
        }
        var attempt = await _target.SendAsync(batch, cancellationToken);
        var now = _clock.GetUtcNow();
        if (attempt.Outcome == DrainOutcome.Delivered)
        {
            _failures = 0;
            var recovered = Status.Delivered(batch.Count, now);
            batch.Clear();
            if (recovered)
            {
                _changed(this, DrainState.Up, null);
            }
            return true;
        }
        _failures++;
        _lastAttempt = attempt;
        if (Status.Failed(attempt.Error, now))
        {
            _changed(this, DrainState.Failing, attempt.Error);
        }
        return false;
    }
}
