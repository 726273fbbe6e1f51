using System.Text.Json;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>One channel's delivery loop: the only writer to its target, so its notices go out in the order they were
/// queued (a firing before its resolved), retries included. Everything it knows is in the database, so a restart
/// resumes where it stopped.
///
/// <code>
///  Notify ─► alert_deliveries (pending | suppressed: over the rate limit) ─► Wake
///                                                                            │
///   ┌────────────────────────────────────────────────────────────────────────┘
///   ▼
///  suppressed ones waiting and the window has room? ─► queue ONE summary delivery for them
///   │
///  oldest pending ─► not due yet: sleep until it is (or a wake)
///   │   due
///   ├─ tried before and older than GiveUpAfter ─► failed (event, warning)
///   ▼
///  target.SendAsync ─► sent: channel up (event when it was failing)
///   │ failed
///   └─► attempts left and within GiveUpAfter: pending again at now + backoff (channel failing: event, warning once)
///       else: failed (event, warning)
/// </code></summary>
internal sealed class ChannelSender : IAsyncDisposable
{
    private readonly ChannelTarget _target;
    private readonly ChannelStore _store;
    private readonly AlertChannelsOptions _options;
    private readonly TimeProvider _clock;
    private readonly ChannelReporter _reporter;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _failures;
    private Task _loop = Task.CompletedTask;

    public ChannelSender(ChannelRecord record, ChannelTarget target, ChannelStore store, AlertChannelsOptions options, TimeProvider clock,
        ChannelReporter reporter)
    {
        Record = record;
        _target = target;
        _store = store;
        _options = options;
        _clock = clock;
        _reporter = reporter;
    }

    public ChannelRecord Record { get; }

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Something was queued: look now.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    /// <summary>Stops at once; an attempt in flight is abandoned and its delivery stays pending (sent after a restart).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _target.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                var now = _clock.GetUtcNow();
                var (_, roomAt) = _store.Summarize(Record.Name, now, _options.RateLimit, _options.RateWindow);
                var next = _store.NextPending(Record.Name);
                var due = next?.NextAttemptAt;
                if (next is not null && due <= now)
                {
                    await AttemptAsync(next, now, token);
                    continue;
                }
                var wakeAt = (due, roomAt) switch
                {
                    ({ } a, { } b) => a < b ? a : b,
                    ({ } a, null) => a,
                    (null, { } b) => b,
                    _ => (DateTimeOffset?)null,
                };
                await WaitAsync(wakeAt is { } at ? at - now : null, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug (or the database gone for a moment): said in the log, then the loop goes on, so one bad row
                // never silences a channel for good.
                _reporter.Broken(Record, e);
                try
                {
                    await Task.Delay(_options.Tick, _clock, token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task AttemptAsync(DeliveryRecord delivery, DateTimeOffset now, CancellationToken token)
    {
        ChannelMessage message;
        try
        {
            message = ChannelMessage.Of(delivery);
        }
        catch (JsonException e)
        {
            Expire(delivery, null, $"its notice could not be read ({e.Message})");
            return;
        }
        var deadline = delivery.CreatedAt + _options.GiveUpAfter;
        if (delivery.Attempts > 0 && now >= deadline)
        {
            // Every delivery is tried at least once, even after the platform was down longer than GiveUpAfter.
            Expire(delivery, message, $"not sent within {Durations.Format(_options.GiveUpAfter)}; last error: {delivery.Error}");
            return;
        }
        DrainAttempt attempt;
        try
        {
            attempt = await _target.SendAsync(message, _options.AttemptTimeout, token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            // A target's bug (an exception it does not expect): logged with its stack, and counted as a failed attempt so
            // the delivery stays bounded like any other.
            _reporter.Broken(Record, e);
            attempt = new DrainAttempt(DrainOutcome.Unavailable, $"internal error ({e.GetType().Name}); the platform log has it");
        }
        var after = _clock.GetUtcNow();
        if (attempt.Outcome == DrainOutcome.Delivered)
        {
            _failures = 0;
            if (_store.MarkSent(delivery, after))
            {
                _reporter.Recovered(Record);
            }
            return;
        }
        _failures++;
        var error = attempt.Error ?? "failed";
        var next = after + DrainBackoff.Next(_failures, attempt, _options.RetryBase, _options.RetryCap, Random.Shared.NextDouble());
        var giveUp = delivery.Attempts + 1 >= _options.MaxAttempts || next > deadline;
        if (_store.MarkAttemptFailed(delivery, error, after, giveUp ? null : next))
        {
            _reporter.Failing(Record, error);
        }
        if (giveUp)
        {
            _reporter.GaveUp(Record, delivery, message, error);
        }
    }

    private void Expire(DeliveryRecord delivery, ChannelMessage? message, string error)
    {
        _store.MarkExpired(delivery, error);
        _reporter.GaveUp(Record, delivery with { Attempts = delivery.Attempts - 1 }, message, error);
    }

    private async Task WaitAsync(TimeSpan? delay, CancellationToken token)
    {
        if (delay is null)
        {
            await _wake.WaitAsync(token);
            return;
        }
        using var either = CancellationTokenSource.CreateLinkedTokenSource(token);
        var wake = _wake.WaitAsync(either.Token);
        var timer = Task.Delay(delay.Value < TimeSpan.Zero ? TimeSpan.Zero : delay.Value, _clock, either.Token);
        await Task.WhenAny(wake, timer);
        await either.CancelAsync();
        token.ThrowIfCancellationRequested();
        try
        {
            await Task.WhenAll(wake, timer);
        }
        catch (OperationCanceledException)
        {
            // The one that did not finish was cancelled above.
        }
    }
}
