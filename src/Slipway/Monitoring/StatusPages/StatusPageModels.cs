using Slipway.Monitoring.Uptime;

namespace Slipway.Monitoring.StatusPages;

/// <summary>Builds a page's <see cref="StatusPageModel"/> from the checks and incidents of its apps. A component is an
/// app's production environment: its default check plus the checks added with --app for it. Its 90-day bar and
/// availability count the time any of its checks had an incident open (a person's incident is a notice, not downtime);
/// days before its first check existed have no data. Past incidents are those that ended in the last 14 days.</summary>
internal sealed class StatusPageModels(UptimeStore incidents, UptimeMonitor monitor, UptimeResults results, TimeProvider clock)
{
    public const int Days = 90;
    public static readonly TimeSpan PastWindow = TimeSpan.FromDays(14);

    public StatusPageModel Build(StatusPageRecord page)
    {
        var now = clock.GetUtcNow();
        var apps = page.AppNames;
        var checks = monitor.Checks.Where(c => c.App is not null && apps.Contains(c.App) && c.Scope?.IsProduction == true).ToList();
        var all = incidents.Incidents(apps, now.AddDays(-Days));
        var latest = results.LatestOfEach();
        var components = apps.Select(app =>
        {
            var mine = checks.Where(c => c.App == app).ToList();
            var ids = mine.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            var downtimes = all.Where(i => i.CheckId is not null && ids.Contains(i.CheckId)).Select(i => i.Downtime).ToList();
            var since = mine.Count == 0 ? now : mine.Min(c => c.Since);
            var status = all.Any(i => i.IsOpen && i.CheckId is not null && ids.Contains(i.CheckId)) ? ComponentStatus.Down
                : all.Any(i => i.IsOpen && i.IsManual && i.App == app) ? ComponentStatus.Degraded
                : mine.Any(c => latest.ContainsKey(c.Id)) ? ComponentStatus.Operational
                : ComponentStatus.Unknown;
            return new ComponentModel(app, status, Availability.Percent(downtimes, since, now.AddDays(-Days), now), Availability.Days(downtimes, since, now, Days));
        }).ToList();
        var shown = all.Where(i => i.IsOpen || i.EndedAt >= now - PastWindow).ToList();
        var notes = incidents.Notes(shown.Select(i => i.Id).ToList()).ToLookup(n => n.IncidentId, StringComparer.Ordinal);
        var models = shown.Select(i => new IncidentModel(i.Id, i.App, i.Title, i.StartedAt, i.EndedAt, i.IsManual ? null : i.LastCause ?? i.Cause,
            i.IsManual, notes[i.Id].ToList())).ToList();
        var down = components.Count(c => c.Status == ComponentStatus.Down);
        var overall = down > 0 && down == components.Count ? OverallStatus.Major
            : down > 0 || components.Any(c => c.Status == ComponentStatus.Degraded) ? OverallStatus.Partial
            : OverallStatus.Operational;
        return new StatusPageModel(page.Title, now, overall, components, models.Where(m => m.End is null).ToList(),
            models.Where(m => m.End is not null).OrderByDescending(m => m.Start).ToList());
    }
}
