using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Slipway.Monitoring.Uptime;

namespace Slipway.Monitoring.StatusPages;

/// <summary>A status page as HTML (pure): no JavaScript at all, one inline style sheet allowed by its hash in the
/// Content-Security-Policy (<see cref="ContentSecurityPolicy"/>), readable from 375 px wide, colours with WCAG AA
/// contrast (text at least 4.5:1, bar cells at least 3:1 against the page, and never colour alone: each day has a
/// title and hidden text with its date and availability). Everything from users (titles, app names, notes) is
/// HTML-encoded.</summary>
internal static class StatusPageRenderer
{
    private const string Css = """
        :root{color-scheme:light}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff}
        main{max-width:46rem;margin:0 auto;padding:1rem}
        h1{font-size:1.5rem;margin:.5rem 0 1rem}
        h2{font-size:1.2rem;margin:2rem 0 .75rem}
        h3{font-size:1rem;margin:0}
        .banner{padding:.75rem 1rem;border-radius:.4rem;color:#fff;font-weight:600;font-size:1.1rem}
        .operational{background:#146c2e}.partial{background:#9a3f00}.major{background:#b3141b}
        ul.components,ul.incidents,ul.notes{list-style:none;margin:0;padding:0}
        .component{border:1px solid #c4c4c4;border-radius:.4rem;padding:.75rem;margin:0 0 .75rem}
        .head{display:flex;justify-content:space-between;flex-wrap:wrap;gap:.25rem}
        .state{font-weight:600}.s-operational{color:#146c2e}.s-down{color:#b3141b}.s-degraded{color:#9a3f00}.s-unknown{color:#4a4a4a}
        ol.bar{display:flex;gap:1px;list-style:none;margin:.5rem 0 .25rem;padding:0;height:2rem}
        ol.bar li{flex:1 1 0;min-width:1px;border-radius:1px}
        .d-none{background:#15803d}.d-some{background:#b45309}.d-major{background:#b91c1c}.d-nodata{background:#8a8f98}
        .meta{display:flex;justify-content:space-between;color:#4a4a4a;font-size:.85rem}
        .incident{border-left:4px solid #b3141b;padding:.25rem 0 .25rem .75rem;margin:0 0 1rem}
        .incident.closed{border-color:#6b6b6b}
        .notes li{margin:.25rem 0}
        .legend{color:#4a4a4a;font-size:.85rem}
        .sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        footer{margin:2rem 0 1rem;color:#4a4a4a;font-size:.85rem}
        """;

    /// <summary>default-src 'none' (no script, frame, image or connection), the one style sheet by its hash.</summary>
    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Css)))}'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static string Render(StatusPageModel page)
    {
        var html = new StringBuilder(32 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(page.Title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>").Append(E(page.Title)).Append("</h1>\n");
        var (banner, css) = page.Overall switch
        {
            OverallStatus.Major => ("Major outage", "major"),
            OverallStatus.Partial => ("Partial outage", "partial"),
            _ => ("All systems operational", "operational"),
        };
        html.Append("<p class=\"banner ").Append(css).Append("\" role=\"status\">").Append(banner).Append("</p>\n");
        if (page.Open.Count > 0)
        {
            html.Append("<section aria-labelledby=\"open\">\n<h2 id=\"open\">Open incidents</h2>\n<ul class=\"incidents\">\n");
            foreach (var incident in page.Open)
            {
                Incident(html, incident, page.Now);
            }
            html.Append("</ul>\n</section>\n");
        }
        html.Append("<section aria-labelledby=\"components\">\n<h2 id=\"components\">Components</h2>\n<ul class=\"components\">\n");
        foreach (var component in page.Components)
        {
            Component(html, component);
        }
        html.Append("</ul>\n<p class=\"legend\">Each bar is one day (UTC), oldest on the left: green no downtime, amber some, red 1% or more, grey no data.</p>\n")
            .Append("</section>\n<section aria-labelledby=\"past\">\n<h2 id=\"past\">Past incidents</h2>\n");
        if (page.Past.Count == 0)
        {
            html.Append("<p>No incidents in the last 14 days.</p>\n");
        }
        else
        {
            html.Append("<ul class=\"incidents\">\n");
            foreach (var incident in page.Past)
            {
                Incident(html, incident, page.Now);
            }
            html.Append("</ul>\n");
        }
        html.Append("</section>\n<footer>Updated ").Append(Time(page.Now)).Append(". Checked from the platform's own machine.</footer>\n")
            .Append("</main>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Component(StringBuilder html, ComponentModel component)
    {
        var (state, css) = component.Status switch
        {
            ComponentStatus.Down => ("Down", "down"),
            ComponentStatus.Degraded => ("Incident open", "degraded"),
            ComponentStatus.Operational => ("Operational", "operational"),
            _ => ("No data yet", "unknown"),
        };
        html.Append("<li class=\"component\">\n<div class=\"head\"><h3>").Append(E(component.Name)).Append("</h3><span class=\"state s-").Append(css).Append("\">")
            .Append(state).Append("</span></div>\n<ol class=\"bar\" aria-label=\"").Append(E(component.Name)).Append(": availability per day, last 90 days\">");
        foreach (var day in component.Days)
        {
            var label = $"{day.Date:yyyy-MM-dd}: " + (day.Percent is { } p ? Percent(p) : "no data");
            var level = day.Level switch
            {
                DayLevel.None => "none",
                DayLevel.Some => "some",
                DayLevel.Major => "major",
                _ => "nodata",
            };
            html.Append("<li class=\"d-").Append(level).Append("\" title=\"").Append(E(label)).Append("\"><span class=\"sr\">").Append(E(label)).Append("</span></li>");
        }
        html.Append("</ol>\n<p class=\"meta\"><span>90 days ago</span><span>")
            .Append(component.Availability is { } a ? Percent(a) + " available" : "no data")
            .Append("</span><span>Today</span></p>\n</li>\n");
    }

    private static void Incident(StringBuilder html, IncidentModel incident, DateTimeOffset now)
    {
        html.Append("<li class=\"incident").Append(incident.End is null ? "" : " closed").Append("\">\n<h3>").Append(E(incident.Title)).Append("</h3>\n<p>")
            .Append(E(incident.Component)).Append(" · ")
            .Append(incident.End is { } end
                ? $"from {Time(incident.Start)} to {Time(end)} ({Duration(end - incident.Start)})"
                : $"since {Time(incident.Start)} ({Duration(now - incident.Start)} so far)");
        if (incident.Cause is { } cause)
        {
            html.Append(" · ").Append(E(cause));
        }
        html.Append("</p>\n");
        if (incident.Notes.Count > 0)
        {
            html.Append("<ul class=\"notes\">\n");
            foreach (var note in incident.Notes)
            {
                html.Append("<li>").Append(Time(note.At)).Append(note.IsResolved ? " <strong>Resolved</strong>" : "").Append(": ")
                    .Append(E(note.Body)).Append("</li>\n");
            }
            html.Append("</ul>\n");
        }
        html.Append("</li>\n");
    }

    private static string Time(DateTimeOffset at) =>
        $"<time datetime=\"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\">" +
        $"{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</time>";

    private static string Percent(double value) =>
        (Math.Floor(value * 100) / 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>"2h 5m", "4m", "35s".</summary>
    internal static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.FromMinutes(1))
        {
            return $"{Math.Max(0, (int)span.TotalSeconds)}s";
        }
        if (span < TimeSpan.FromHours(1))
        {
            return $"{(int)span.TotalMinutes}m";
        }
        return span < TimeSpan.FromDays(1) ? $"{(int)span.TotalHours}h {span.Minutes}m" : $"{(int)span.TotalDays}d {span.Hours}h";
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
