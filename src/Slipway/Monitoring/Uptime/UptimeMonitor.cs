using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Monitoring.Uptime;

/// <summary>Runs every check on its own schedule from one loop:
///
///   tick (UptimeOptions.Tick) ─► reconcile every UptimeOptions.Reconcile (UptimeTargets: rows + deployed apps)
///        └► each due check, while fewer than UptimeOptions.Concurrency run ─► UptimeProbe ─► UptimeResults (uptime.db)
///                                                                                      └► IncidentTracker ─► incidents (state)
///
/// A check's first run is jittered over its interval, then it runs every interval plus up to 5% (at most 5 s) of
/// jitter, so checks added together do not fire together. A check is never run twice at once: one still running when
/// due again waits. Nothing a target does reaches this loop as an exception (the probe returns failures as results),
/// and a fault of the platform's own (a database error) is logged and the check runs again on schedule.</summary>
internal sealed class UptimeMonitor(UptimeTargets targets, UptimeStore store, UptimeResults results, UptimeProbe probe, Store events,
    UptimeOptions options, TimeProvider clock, ILogger<UptimeMonitor> logger) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Scheduled> _checks = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _running = [];
    private DateTimeOffset _reconciledAt = DateTimeOffset.MinValue;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    private sealed class Scheduled(UptimeCheck check, IncidentTracker tracker, DateTimeOffset due)
    {
        public UptimeCheck Check { get; set; } = check;
        public IncidentTracker Tracker { get; } = tracker;
        public DateTimeOffset Due { get; set; } = due;
        public bool Running { get; set; }
    }

    /// <summary>The checks as they run now (for `uptime ls` and the status pages).</summary>
    public IReadOnlyList<UptimeCheck> Checks
    {
        get
        {
            lock (_gate)
            {
                return _checks.Values.Select(s => s.Check).ToList();
            }
        }
    }

    /// <summary>Reads the checks again now (after an add, remove, change or pause): new ones are scheduled, gone ones
    /// dropped, a paused one's open incident closed.</summary>
    public void Reconcile()
    {
        var loaded = targets.Load();
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            _reconciledAt = now;
            foreach (var gone in _checks.Keys.Except(loaded.Select(c => c.Id)).ToList())
            {
                _checks.Remove(gone);
            }
            var open = store.OpenIncidents().Select(i => i.CheckId).ToHashSet(StringComparer.Ordinal);
            foreach (var check in loaded)
            {
                if (_checks.TryGetValue(check.Id, out var scheduled))
                {
                    var changed = scheduled.Check.Interval != check.Interval || scheduled.Check.Target != check.Target;
                    scheduled.Check = check;
                    if (changed)
                    {
                        scheduled.Due = now + Jitter(check.Interval, first: true);
                    }
                }
                else
                {
                    _checks[check.Id] = new Scheduled(check, IncidentTracker.Restore(open.Contains(check.Id), results.Latest(check.Id, IncidentTracker.FailuresToOpen)),
                        now + Jitter(check.Interval, first: true));
                }
                if (check.Paused)
                {
                    _checks[check.Id].Tracker.Reset();
                }
            }
        }
        foreach (var paused in loaded.Where(c => c.Paused))
        {
            foreach (var incident in store.OpenIncidents().Where(i => i.CheckId == paused.Id))
            {
                store.Close(incident.Id, now, "check paused");
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Tick, clock);
        try
        {
            do
            {
                try
                {
                    Tick(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    UptimeLog.ReconcileFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }
        await Task.WhenAll(running);
    }

    private void Tick(CancellationToken stoppingToken)
    {
        var now = clock.GetUtcNow();
        if (now - _reconciledAt >= options.Reconcile)
        {
            Reconcile();
        }
        if (now - _prunedAt >= TimeSpan.FromHours(1))
        {
            _prunedAt = now;
            store.Prune(now - options.IncidentsKept);
            results.Prune(now, Checks.Select(c => c.Id).ToList());
        }
        lock (_gate)
        {
            foreach (var scheduled in _checks.Values.Where(s => !s.Running && !s.Check.Paused && s.Due <= now).OrderBy(s => s.Due))
            {
                if (_running.Count >= options.Concurrency)
                {
                    break;
                }
                scheduled.Running = true;
                scheduled.Due = now + Jitter(scheduled.Check.Interval, first: false);
                var task = RunAsync(scheduled, stoppingToken);
                _running.Add(task);
                _ = task.ContinueWith(done =>
                {
                    lock (_gate)
                    {
                        _running.Remove(done);
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private async Task RunAsync(Scheduled scheduled, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var check = scheduled.Check;
        try
        {
            var result = await probe.CheckAsync(check, stoppingToken);
            lock (_gate)
            {
                if (!_checks.TryGetValue(check.Id, out var current) || current != scheduled || current.Check.Paused)
                {
                    return; // removed or paused while it ran
                }
            }
            results.Add(check.Id, result);
            Apply(check, scheduled.Tracker.Observe(result), scheduled.Tracker.At, result);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            UptimeLog.RecordFailed(logger, check.Name, e);
        }
        finally
        {
            lock (_gate)
            {
                scheduled.Running = false;
            }
        }
    }

    private void Apply(UptimeCheck check, IncidentStep step, DateTimeOffset at, UptimeResult result)
    {
        switch (step)
        {
            case IncidentStep.Open:
                store.Insert(new UptimeIncident(Ids.New("inc"), check.Id, check.App ?? "", $"{check.Name}: down ({check.Request})", at, null,
                    result.Error ?? "failed", result.Error, 0));
                UptimeLog.Down(logger, check.Name, check.Whose, at, result.Error ?? "failed", check.Request);
                events.AddEvent(check.App, null, "uptime.down", $"uptime check {check.Name} is down since {UtcTime.Format(at)}: {result.Error} ({check.Request})");
                break;
            case IncidentStep.StillDown:
                if (store.OpenIncidents().FirstOrDefault(i => i.CheckId == check.Id) is { } open && open.LastCause != result.Error)
                {
                    store.SetLastCause(open.Id, result.Error ?? "failed");
                }
                break;
            case IncidentStep.Close:
                foreach (var incident in store.OpenIncidents().Where(i => i.CheckId == check.Id))
                {
                    store.Close(incident.Id, at);
                    var down = Durations.Format(TimeSpan.FromSeconds(Math.Max(1, Math.Round((at - incident.StartedAt).TotalSeconds))));
                    UptimeLog.Up(logger, check.Name, check.Whose, down);
                    events.AddEvent(check.App, null, "uptime.up", $"uptime check {check.Name} is up again after {down} down ({check.Request})");
                }
                break;
        }
    }

    private static TimeSpan Jitter(TimeSpan interval, bool first)
    {
        var span = first ? interval : TimeSpan.FromTicks(Math.Min(interval.Ticks / 20, TimeSpan.FromSeconds(5).Ticks));
        return (first ? TimeSpan.Zero : interval) + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * span.Ticks));
    }
}
