using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Monitoring;

/// <summary>The log drains of the platform: the log store's tap (every stored line of an app's stream, and of its
/// access log for drains that asked, goes to the buffer of each drain that ships it), one <see cref="DrainSender"/>
/// per drain, and the drains' rows.
///
/// The tap runs on the appending thread under the log key's lock, so it only reads an immutable
/// <see cref="DrainRoutes"/> and adds to bounded buffers. Drains are read again from the database after every add and
/// remove and every <see cref="DrainsOptions.Tick"/> (which also stops the drains of a destroyed app and saves
/// delivery counts); a drain going from up to failing or back is saved at once, with an app event and a log line.</summary>
internal sealed class Drains(DrainStore drains, Store store, DrainsOptions options, TimeProvider clock, ILogger<Drains> logger)
    : BackgroundService, ILogTap
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DrainSender> _senders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AppRef> _appOf = new(StringComparer.Ordinal);
    private readonly List<Task> _stopping = [];
    private volatile DrainRoutes _routes = DrainRoutes.None;

    public void Appended(string key, LogEntry entry)
    {
        var routes = _routes;
        if (routes.IsEmpty)
        {
            return;
        }
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return;
        }
        var stream = key.AsSpan(0, slash);
        var access = stream is "access";
        if (access || stream is "apps")
        {
            routes.Offer(key.AsSpan(slash + 1), access, entry);
        }
    }

    public DrainView Add(DrainSpec spec)
    {
        var record = drains.Insert(spec, clock.GetUtcNow());
        Reconcile();
        return View(record);
    }

    /// <summary>Removes a drain and stops it at once (what its buffer holds is not sent).</summary>
    public DrainView Remove(AppRef? scope, string name)
    {
        var record = drains.Find(scope?.Key ?? "", name) ?? throw NoDrain(scope, name);
        var view = View(record);
        drains.Delete(record.Id);
        Reconcile();
        return view;
    }

    public IReadOnlyList<DrainView> List() => drains.List().Select(View).ToList();

    /// <summary>Starts a sender for each drain row that has none, stops those whose row is gone, saves changed counts and
    /// publishes new routes.</summary>
    public void Reconcile()
    {
        lock (_gate)
        {
            var records = drains.List();
            foreach (var record in records.Where(r => !_senders.ContainsKey(r.Id)))
            {
                if (Open(record) is { } sender)
                {
                    _senders[record.Id] = sender;
                    sender.Start();
                }
            }
            foreach (var gone in _senders.Keys.Except(records.Select(r => r.Id)).ToList())
            {
                // Off this thread: nothing of the sender runs while the routes are being replaced.
                var sender = _senders[gone];
                _stopping.Add(Task.Run(() => sender.DisposeAsync().AsTask()));
                _senders.Remove(gone);
            }
            _stopping.RemoveAll(task => task.IsCompleted);
            SaveChanged();
            _appOf.Clear();
            var senders = _senders.Values.ToList();
            var apps = store.ListApps().ToDictionary(app => app.Name,
                app => new DrainRoutes.Route(app.Ref, senders.Where(s => s.Record.App == app.Name).ToArray()), StringComparer.Ordinal);
            _routes = new DrainRoutes(apps, senders.Where(s => s.Record.Scope is null).ToArray());
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Before the first await: the host starts this before Recovery brings the apps back, so their first lines
        // already find their drains.
        Reconcile();
        using var timer = new PeriodicTimer(options.Tick, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Reconcile();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Whatever failed, the drains keep the routes they had and try again at the next tick; a fault
                    // here must not stop the platform (the host stops on a background service's exception).
                    DrainLog.ReconcileFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stopped after the apps (registered before Recovery): drains that are up send what they still hold,
    /// within <see cref="DrainsOptions.FlushTimeout"/>.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        List<DrainSender> senders;
        lock (_gate)
        {
            _routes = DrainRoutes.None;
            senders = [.. _senders.Values];
            _senders.Clear();
        }
        await Task.WhenAll(senders.Select(s => s.StopAsync(options.FlushTimeout)));
        lock (_gate)
        {
            foreach (var sender in senders)
            {
                Save(sender);
            }
        }
        await Task.WhenAll([.. senders.Select(s => s.DisposeAsync().AsTask()), .. _stopping]);
    }

    private DrainSender? Open(DrainRecord record)
    {
        DrainTarget target;
        try
        {
            var (url, headers) = drains.Unseal(record);
#pragma warning disable CA2000 // the sender owns its target and disposes it
            target = record.DrainKind == DrainKind.Https
                ? new HttpDrainTarget(url, headers, record.Gzips, record.CaPem)
                : new SyslogDrainTarget(url, options.Hostname, record.CaPem);
#pragma warning restore CA2000
        }
        catch (Exception e) when (e is CryptographicException or UserException or FormatException or InvalidOperationException)
        {
            // Sealed under a key this platform does not have (Keyring says which): the message names no secret.
            DrainLog.CannotOpen(logger, record.Name, record.Whose, e.Message);
            return null;
        }
        return new DrainSender(record, target, options, clock, AppOf, Changed, Broken);
    }

    private AppRef AppOf(string key) => _appOf.GetOrAdd(key, store.RefOf);

    private void Changed(DrainSender sender, DrainState state, string? error)
    {
        var record = sender.Record;
        var app = record.App.Length > 0 ? record.App : null;
        if (state == DrainState.Failing)
        {
            DrainLog.Failing(logger, record.Name, record.Whose, record.Destination, error);
        }
        else
        {
            DrainLog.Recovered(logger, record.Name, record.Whose, record.Destination);
        }
        try
        {
            lock (_gate)
            {
                Save(sender);
            }
            store.AddEvent(app, null, state == DrainState.Failing ? "drain.failing" : "drain.recovered", state == DrainState.Failing
                ? $"log drain {record.Name} to {record.Destination} is failing: {error}; its lines wait in its buffer (up to {options.BufferLines:N0}) and are retried"
                : $"log drain {record.Name} to {record.Destination} delivers again");
        }
        catch (SqliteException e)
        {
            DrainLog.StatusNotSaved(logger, record.Name, e);
        }
    }

    private void Broken(DrainSender sender, Exception exception)
    {
        DrainLog.SenderBroken(logger, sender.Record.Name, exception);
        if (sender.Status.Failed("stopped by an internal error (the platform log has it); remove the drain and add it again", clock.GetUtcNow()))
        {
            Changed(sender, DrainState.Failing, "stopped by an internal error");
        }
    }

    private void SaveChanged()
    {
        foreach (var sender in _senders.Values)
        {
            Save(sender);
        }
    }

    private void Save(DrainSender sender)
    {
        if (sender.Unsaved() is { } status)
        {
            drains.SaveStatus(sender.Record.Id, status);
        }
    }

    private DrainView View(DrainRecord record)
    {
        DrainSender? live;
        lock (_gate)
        {
            live = _senders.GetValueOrDefault(record.Id);
        }
        var status = live?.Status.Read(live.Dropped) ?? new DrainStatus(record).Read(record.Dropped);
        return new DrainView(record.Name, record.Scope?.App, record.Scope?.Env, record.DrainKind, record.Destination, record.MaskedHeaders,
            record.ShipsAccessLog, record.Gzips, status.State, status.Delivered, status.Dropped, live?.Buffer.Count ?? 0, status.LastDeliveredAt,
            status.LastError, status.LastErrorAt, record.CreatedAt);
    }

    private UserException NoDrain(AppRef? scope, string name)
    {
        var others = drains.List().Where(d => d.App == (scope?.Key ?? "")).Select(d => d.Name).ToList();
        return new UserException($"{(scope?.ToString() ?? "The platform")} has no drain named {name}" + (others.Count == 0
            ? $". List them with: slipway drains ls {DrainStore.Flags(scope)}."
            : $"; it has: {string.Join(", ", others)}."), 404);
    }
}
