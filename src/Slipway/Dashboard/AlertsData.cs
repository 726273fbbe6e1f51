using System.Globalization;
using Slipway.Access;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Uptime;

namespace Slipway.Dashboard;

/// <summary>Builds the Alerts page from what /v1/alerts, /v1/alerts/history and /v1/uptime answer, filtered the same
/// way (what the caller may read), with an uptime check's pause or resume where the caller may manage its alerts (the
/// permission those endpoints declare). Alerts have no acknowledge or silence in the API, so the page offers none.</summary>
internal sealed class AlertsData(AlertConfig alerts, UptimeChecks checks, TimeProvider clock)
{
    /// <summary>How far back the page lists alerts (the API keeps 90 days: `slipway alerts history --since 90d`).</summary>
    public static readonly TimeSpan History = TimeSpan.FromDays(7);

    /// <summary>How many past alerts the page lists at most.</summary>
    public const int HistoryRows = 50;

    public AlertsPageView Page(Principal me)
    {
        var now = clock.GetUtcNow();
        var firing = alerts.List(null).Firing.Where(a => me.Can(Permission.Read, Scope(a))).Select(Row).ToList();
        var past = alerts.History(now - History, null, HistoryRows).Where(a => a.State == AlertState.Resolved && me.Can(Permission.Read, Scope(a)))
            .Select(Row).ToList();
        var uptime = checks.List().Where(c => me.Can(Permission.Read, ScopeOf(c))).Select(c => Check(me, c)).ToList();
        return new AlertsPageView(firing, past, "the last 7 days", uptime, now);
    }

    private static AppRef? Scope(AlertView alert) => alert.App is { } app ? new AppRef(app, alert.Env ?? AppRef.Production) : null;

    private static AppRef? ScopeOf(UptimeView check) => check.App is null ? null : AppRef.Of(check.App, check.Env);

    private static string Label(AppRef? scope) => scope is { } s ? (s.IsProduction ? s.App : $"{s.App} ({s.Env})") : "platform";

    private static AlertRow Row(AlertView a) =>
        new(a.Id, a.Rule, Label(Scope(a)), JsonSpellings.Of(a.Severity), JsonSpellings.Of(a.State), a.Title, a.Detail, a.StartedAt, a.ResolvedAt,
            Scope(a) is { } scope ? DashboardData.PagePath(scope) : null);

    private static UptimeRow Check(Principal me, UptimeView c)
    {
        var scope = ScopeOf(c);
        var action = me.Can(Permission.ManageAlerts, scope) ? $"/v1/uptime/{Uri.EscapeDataString(c.Name)}/" : null;
        var paused = c.State == UptimeState.Paused;
        var last = c.LastCheckedAt is null ? "not checked yet"
            : c.LastError is { } error ? error
            : string.Create(CultureInfo.InvariantCulture, $"HTTP {c.LastStatus} in {c.LastMs:0} ms");
        string Percent(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) + "%" : "–";
        return new UptimeRow(c.Name, Label(scope), c.Url, JsonSpellings.Of(c.State), Durations.Format(c.Every), c.LastCheckedAt, last,
            $"{Percent(c.Availability24h)} (24 h), {Percent(c.Availability7d)} (7 d), {Percent(c.Availability30d)} (30 d)",
            Percent(c.Slo) + (c.MeetsSlo ? " (met)" : " (missed)"),
            c.DownSince is { } since ? $"down since {UtcTime.Format(since)}: {c.Cause}" : null,
            action is not null && !paused ? action + "pause" : null, action is not null && paused ? action + "resume" : null);
    }
}
