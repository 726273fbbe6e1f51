using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Slipway.State;

namespace Slipway.Monitoring.Alerts;

/// <summary>Turns conditions into alerts and alerts into notices.
///
///   every Interval:  rules ─► AlertContext ─► each IAlertSource.Evaluate ─► signals (rule, app, subject)
///                                                                             │
///        signal with no firing alert ──► insert firing row ──► notice "firing" ─┤
///        firing alert still signalled ──► last seen = now (no notice)           ├─► IAlertNotifier (returns at once)
///        firing alert gone ≥ ResolveAfter ──► resolved row ──► notice "resolved" ┘
///
/// Level-triggered, like Prometheus' rules: a source says what holds now and the engine remembers, in the alerts
/// table, what it already told. So a condition is one alert however many evaluations see it (the unique index allows
/// one firing row per rule, app and subject), a restart neither repeats a notice nor forgets an open alert, and a
/// condition that flaps within <see cref="AlertsOptions.ResolveAfter"/> stays one firing alert. A source that throws
/// keeps its open alerts open for that round. A notice the notifier could not queue undoes its row's change, so the
/// next round tries again (a crash between the two writes loses that one notice).</summary>
internal sealed partial class AlertEngine(IEnumerable<IAlertSource> sources, AlertRules rules, AlertStore alerts, IAlertNotifier notifier,
    AlertsOptions options, TimeProvider clock, ILogger<AlertEngine> logger) : BackgroundService
{
    private readonly SemaphoreSlim _round = new(1, 1);
    private DateTimeOffset _pruned;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await EvaluateAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRoundFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One round; returns the notices it handed over. Rounds never overlap.</summary>
    public async Task<int> EvaluateAsync(CancellationToken cancellationToken)
    {
        await _round.WaitAsync(cancellationToken);
        try
        {
            return await Task.Run(() => Evaluate(cancellationToken), cancellationToken);
        }
        finally
        {
            _round.Release();
        }
    }

    private int Evaluate(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var set = rules.Read();
        var context = new AlertContext(now, set.Settings, set.CustomRules);
        var signals = new Dictionary<(string Rule, string App, string Subject), AlertSignal>();
        var unknown = new HashSet<string>(StringComparer.Ordinal);
        var customFailed = false;
        foreach (var source in sources)
        {
            try
            {
                foreach (var signal in source.Evaluate(context, cancellationToken))
                {
                    var builtIn = rules.BuiltIn.ContainsKey(signal.Rule);
                    if (!builtIn || context.IsOn(signal.Rule, signal.App))
                    {
                        signals.TryAdd((signal.Rule, signal.App ?? "", signal.Subject), signal);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSourceFailed(logger, source.GetType().Name, e);
                unknown.UnionWith(source.Rules.Select(r => r.Name));
                customFailed |= source.EvaluatesCustomRules;
            }
        }

        var notices = 0;
        var firing = alerts.Firing().ToDictionary(a => a.Key);
        foreach (var (key, signal) in signals.Where(s => !firing.ContainsKey(s.Key)))
        {
            var (severity, channels) = Routing(signal, set, context);
            var alert = new AlertRecord(Ids.New("al"), signal.Rule, signal.Subject, key.App, JsonSpellings.Of(severity), signal.Title, signal.Detail,
                JsonSerializer.Serialize(channels), JsonSpellings.Of(AlertState.Firing), now, now, null);
            alerts.Insert(alert);
            try
            {
                notifier.Notify(Notice(alert, NoticeKind.Firing, now));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not told, so not raised: the next round sees the condition as new and tries again.
                alerts.Delete(alert.Id);
                LogNotifyFailed(logger, alert.Rule, alert.App, alert.Subject, e);
                continue;
            }
            LogFiring(logger, alert.Rule, alert.App, alert.Subject, alert.Title);
            notices++;
        }
        alerts.Seen(firing.Values.Where(a => signals.ContainsKey(a.Key))
            .Select(a => (a.Id, now, signals[a.Key].Title, signals[a.Key].Detail)));
        foreach (var alert in firing.Values.Where(a => !signals.ContainsKey(a.Key)))
        {
            var custom = !rules.BuiltIn.ContainsKey(alert.Rule);
            if (unknown.Contains(alert.Rule) || (custom && customFailed) || now - alert.LastSeenAt < options.ResolveAfter)
            {
                continue;
            }
            if (alerts.Resolve(alert.Id, now))
            {
                try
                {
                    notifier.Notify(Notice(alert with { State = JsonSpellings.Of(AlertState.Resolved), ResolvedAt = now }, NoticeKind.Resolved, now));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Not told, so still firing: the next round resolves it again.
                    alerts.Reopen(alert.Id);
                    LogNotifyFailed(logger, alert.Rule, alert.App, alert.Subject, e);
                    continue;
                }
                LogResolved(logger, alert.Rule, alert.App, alert.Subject);
                notices++;
            }
        }

        if (now - _pruned > TimeSpan.FromHours(1))
        {
            alerts.DeleteResolvedBefore(now - options.Kept);
            _pruned = now;
        }
        return notices;
    }

    public override void Dispose()
    {
        _round.Dispose();
        base.Dispose();
    }

    /// <summary>The severity and channels of a new alert: a built-in rule's settings for its app, a custom rule's own.</summary>
    private (AlertSeverity Severity, IReadOnlyList<string> Channels) Routing(AlertSignal signal, AlertRuleSet set, AlertContext context)
    {
        if (rules.BuiltIn.ContainsKey(signal.Rule))
        {
            var settings = context.Settings(signal.Rule, signal.App);
            return (settings.Severity ?? signal.Severity, settings.Channels ?? []);
        }
        var custom = set.CustomRules.FirstOrDefault(r => r.Name == signal.Rule && r.App == signal.App);
        return (custom?.Severity ?? signal.Severity, custom?.Channels ?? []);
    }

    private static AlertNotice Notice(AlertRecord alert, NoticeKind kind, DateTimeOffset now) => new(
        Ids.New("nt"), alert.Id, kind, alert.Rule, alert.Subject, alert.AppRow, alert.AlertSeverity, alert.Title, alert.Detail,
        alert.StartedAt, alert.ResolvedAt, now, alert.ChannelNames);

    [LoggerMessage(Level = LogLevel.Error, Message = "An alert round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert source {Source} failed; its open alerts stay open this round")]
    private static partial void LogSourceFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert {Rule} {App} {Subject}: its notice could not be queued; tried again next round")]
    private static partial void LogNotifyFailed(ILogger logger, string rule, string app, string subject, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert firing: {Rule} {App} {Subject}: {Title}")]
    private static partial void LogFiring(ILogger logger, string rule, string app, string subject, string title);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert resolved: {Rule} {App} {Subject}")]
    private static partial void LogResolved(ILogger logger, string rule, string app, string subject);
}
