using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>The alert channels of the platform and the notifier the alert engine hands its notices to
/// (<see cref="IAlertNotifier"/>): <see cref="Notify"/> writes one delivery row per channel the notice is for and
/// returns; one <see cref="ChannelSender"/> per channel sends them. Channels are read again after every add and remove
/// and every <see cref="AlertChannelsOptions.Tick"/>, when old history is pruned too.</summary>
internal sealed class AlertChannels(ChannelStore channels, Store store, AlertChannelsOptions options, TimeProvider clock, ILogger<AlertChannels> logger)
    : BackgroundService, IAlertNotifier
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ChannelSender> _senders = new(StringComparer.Ordinal);
    private readonly ChannelReporter _reporter = new(store, logger);
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;
    private bool _stopped;

    /// <summary>Queues <paramref name="notice"/> for the channels it names (one that does not exist gets a failed
    /// delivery saying so), or, naming none, for every channel whose severity and app filters take it. A notice id
    /// seen before for a channel adds nothing. Persisted before it returns; never waits for a channel.</summary>
    public void Notify(AlertNotice notice)
    {
        var all = channels.List();
        IReadOnlyList<string> targets, missing = [];
        if (notice.Channels.Count > 0)
        {
            var names = notice.Channels.Distinct(StringComparer.Ordinal).ToList();
            targets = names.Where(n => all.Any(c => c.Name == n)).ToList();
            missing = names.Except(targets, StringComparer.Ordinal).ToList();
        }
        else
        {
            var app = notice.App is null ? null : store.RefOf(notice.App).App;
            targets = all.Where(c => c.Takes(notice.Severity, app)).Select(c => c.Name).ToList();
        }
        channels.Enqueue(notice, targets, missing, clock.GetUtcNow(), options.RateLimit, options.RateWindow);
        lock (_gate)
        {
            // Suppressed ones too: an idle sender learns when to send their summary.
            foreach (var sender in _senders.Values.Where(s => targets.Contains(s.Record.Name)))
            {
                sender.Wake();
            }
        }
    }

    /// <summary>How each notice of <paramref name="alertId"/> went with each channel, oldest first.</summary>
    public IReadOnlyList<NoticeDelivery> Deliveries(string alertId) =>
        channels.Deliveries(alertId).Where(d => !d.IsSummary).Select(d => new NoticeDelivery(d.NoticeId, JsonSpellings.Parse<NoticeKind>(d.Kind), d.Channel,
            d.DeliveryState, (int)d.Attempts, d.SentAt, d.Error)).ToList();

    public ChannelAdded Add(ChannelSpec spec)
    {
        var record = channels.Insert(spec, clock.GetUtcNow());
        Reconcile();
        return new ChannelAdded(View(record, 0), spec.SigningSecret);
    }

    /// <summary>Removes a channel and stops its sender at once; its pending deliveries are recorded as failed.</summary>
    public ChannelView Remove(string name)
    {
        var record = channels.Find(name) ?? throw NoChannel(name);
        var view = View(record, 0);
        channels.Delete(record, clock.GetUtcNow());
        Reconcile();
        return view;
    }

    public IReadOnlyList<ChannelView> List()
    {
        var pending = channels.PendingCounts();
        return channels.List().Select(c => View(c, pending.GetValueOrDefault(c.Name))).ToList();
    }

    /// <summary>`slipway alerts test`: one test notice through the channel now, past its queue and rate limit, one
    /// attempt within <see cref="AlertChannelsOptions.TestTimeout"/>. Not recorded as a delivery.</summary>
    public async Task<ChannelTestResult> TestAsync(string name, CancellationToken cancellationToken)
    {
        var record = channels.Find(name) ?? throw NoChannel(name);
        var now = clock.GetUtcNow();
        var notice = new AlertNotice(Ids.New("test"), "test-" + record.Name, NoticeKind.Test, "test", "channel:" + record.Name, null, AlertSeverity.Warning,
            $"Test notice from Slipway on {options.PlatformHost}",
            $"If you read this, alert channel {record.Name} works. Sent by 'slipway alerts test {record.Name}'.", now, null, now, [record.Name]);
        ChannelTarget target;
        try
        {
            target = ChannelTarget.Open(record, channels.Unseal(record), options, clock);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or UserException)
        {
            throw new UserException($"Channel {name}'s secrets cannot be opened ({e.Message}): remove it and add it again.", 409);
        }
        using (target)
        {
            var started = clock.GetTimestamp();
            var attempt = await target.SendAsync(ChannelMessage.Of(notice), options.TestTimeout, cancellationToken);
            var elapsed = (long)clock.GetElapsedTime(started).TotalMilliseconds;
            return new ChannelTestResult(record.Name, record.ChannelKind, record.Destination, attempt.Outcome == DrainOutcome.Delivered, elapsed,
                attempt.Outcome == DrainOutcome.Delivered ? null : attempt.Error);
        }
    }

    /// <summary>Starts a sender for each channel that has none and stops those whose channel is gone.</summary>
    public void Reconcile()
    {
        List<ChannelSender> gone;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            var records = channels.List();
            foreach (var record in records.Where(r => !_senders.ContainsKey(r.Id)))
            {
                if (Open(record) is { } sender)
                {
                    _senders[record.Id] = sender;
                    sender.Start();
                }
            }
            gone = _senders.Where(s => records.All(r => r.Id != s.Key)).Select(s => s.Value).ToList();
            foreach (var sender in gone)
            {
                _senders.Remove(sender.Record.Id);
            }
        }
        // Off the caller's thread: a sender in the middle of an attempt stops when the attempt gives up its token.
        foreach (var sender in gone)
        {
            _ = Task.Run(() => sender.DisposeAsync().AsTask());
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Tick, clock);
        do
        {
            try
            {
                Reconcile();
                var now = clock.GetUtcNow();
                if (now - _prunedAt >= TimeSpan.FromHours(1))
                {
                    _prunedAt = now;
                    channels.Prune(now - options.KeepHistory);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The running senders go on; the next tick tries again (a background service's exception stops the host).
                ChannelLog.ReconcileFailed(logger, e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        List<ChannelSender> senders;
        lock (_gate)
        {
            _stopped = true;
            senders = [.. _senders.Values];
            _senders.Clear();
        }
        await Task.WhenAll(senders.Select(s => s.DisposeAsync().AsTask()));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken token)
    {
        try
        {
            return await timer.WaitForNextTickAsync(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private ChannelSender? Open(ChannelRecord record)
    {
        try
        {
#pragma warning disable CA2000 // the sender owns its target and disposes it
            return new ChannelSender(record, ChannelTarget.Open(record, channels.Unseal(record), options, clock), channels, options, clock, _reporter);
#pragma warning restore CA2000
        }
        catch (Exception e) when (e is CryptographicException or UserException or FormatException or System.Text.Json.JsonException)
        {
            // Sealed under a key this platform does not have (Keyring says which): the message names no secret.
            ChannelLog.CannotOpen(logger, record.Name, e.Message);
            return null;
        }
    }

    private static ChannelView View(ChannelRecord r, int pending) => new(r.Name, r.ChannelKind, r.Destination, r.Severity, r.AppNames,
        JsonSpellings.Parse<ChannelState>(r.State), r.Delivered, r.Failed, r.Suppressed, pending, r.LastDeliveredAt, r.LastError, r.LastErrorAt, r.CreatedAt);

    private UserException NoChannel(string name)
    {
        var others = channels.List().Select(c => c.Name).ToList();
        return new UserException($"There is no alert channel named {name}" + (others.Count == 0
            ? ". Add one: slipway channels add NAME --webhook URL (or --slack, --discord, --email)."
            : $"; there are: {string.Join(", ", others)}."), 404);
    }
}
