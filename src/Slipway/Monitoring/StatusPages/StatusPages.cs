using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Slipway.Deploy;
using Slipway.Monitoring.Uptime;
using Slipway.State;

namespace Slipway.Monitoring.StatusPages;

/// <summary>Status pages: what `status-page create|ls|rm|note` do, and which page a hostname is. Each page's hostname
/// is an edge route to the platform's own loopback API listener (<see cref="Edge.Routes.SetPlatformServed"/>), where
/// the API answers it with the page and nothing else; no app may take such a hostname (<see cref="AppHosts.Reserve"/>),
/// and a page may not take an app's or the platform's. At start the routes are published and the reservation made.</summary>
internal sealed partial class StatusPages(StatusPageStore pages, UptimeStore incidents, StatusPageModels models, Store store, AppHosts hosts,
    Edge.Routes routes, Edge.EdgeServer edge, DeployOptions deploy, TimeProvider clock) : IHostedService
{
    private volatile FrozenDictionary<string, string> _byHost = FrozenDictionary<string, string>.Empty;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex NamePattern();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        hosts.Reserve(ReservedHostname);
        Publish();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The page served at <paramref name="host"/> (a Host header: port and trailing dot ignored), or null.
    /// Lock-free: called for every request the API gets.</summary>
    public string? PageAt(string host)
    {
        var table = _byHost;
        return table.Count == 0 ? null : table.GetValueOrDefault(host.TrimEnd('.'));
    }

    public StatusPageView Create(string? name, string? host, IReadOnlyList<string> apps, string? title) =>
        hosts.Claim(() => CreateNow(name, host, apps, title));

    private StatusPageView CreateNow(string? name, string? host, IReadOnlyList<string> apps, string? title)
    {
        var errors = new List<string>();
        if (name is null || !NamePattern().IsMatch(name))
        {
            errors.Add($"'{name}' is not a page name: use 1-40 lowercase letters, digits and dashes, like acme.");
        }
        host = host?.Trim().TrimEnd('.').ToLowerInvariant();
        if (string.IsNullOrEmpty(host))
        {
            errors.Add("--host is required: the hostname to serve the page at, like status.example.com.");
        }
        else
        {
            try
            {
                AppNames.ValidateHost(host);
                if (string.Equals(host, deploy.PlatformHost, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{host} is the platform's own hostname (its API and logins); give the page a hostname of its own, like status.example.com.");
                }
                else if (hosts.OwnerOf(host) is { } owner)
                {
                    errors.Add($"{host} already serves app {store.RefOf(owner)}; a hostname belongs to one app or page. Use another, or remove it from the app " +
                        $"first: slipway hosts rm {store.RefOf(owner).Flags} {host}");
                }
                else if (hosts.ReservedFor(host) is { } why)
                {
                    errors.Add(why);
                }
            }
            catch (UserException e)
            {
                errors.Add(e.Message.Replace("for --host", "for a status page", StringComparison.Ordinal));
            }
        }
        var names = apps.Select(a => a.Trim()).Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
        {
            errors.Add("--apps is required: the apps the page shows, like --apps shop,api.");
        }
        foreach (var app in names.Where(a => store.FindApp(a) is not { Env: AppRef.Production }))
        {
            var known = store.ListApps().Where(a => a.Ref.IsProduction).Select(a => a.Name).ToList();
            errors.Add($"There is no app named {app}" + (AppErrors.Closest(app, known) is { } close ? $"; did you mean {close}?" : ".") +
                " 'slipway apps' lists them.");
        }
        title = string.IsNullOrWhiteSpace(title) ? $"{name} status" : title.Trim();
        if (title.Length > 100)
        {
            errors.Add("--title: at most 100 characters.");
        }
        if (errors.Count > 0)
        {
            throw new UserException(string.Join(" ", errors));
        }
        if (pages.Find(name!) is { } existing)
        {
            throw new UserException($"There is already a status page named {name} (at {existing.Host}). Pick another name, or remove it first: " +
                $"slipway status-page rm {name}", 409);
        }
        pages.Insert(name!, host!, title, names, clock.GetUtcNow());
        _rendered.TryRemove(name!, out _);
        Publish();
        return View(pages.Find(name!)!);
    }

    public IReadOnlyList<StatusPageView> List() => pages.List().Select(View).ToList();

    public StatusPageView Remove(string name)
    {
        var view = View(Require(name));
        pages.Delete(name);
        Publish();
        return view;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Changes, DateTimeOffset At, string Html)> _rendered =
        new(StringComparer.Ordinal);

    /// <summary>How long a rendered page is reused while nothing it shows changed (a busy page costs one build per
    /// interval, not one per request; browsers keep it 30 s anyway).</summary>
    public static readonly TimeSpan Reuse = TimeSpan.FromSeconds(10);

    /// <summary>The page's HTML, or null when no page is served at <paramref name="host"/>.</summary>
    public string? Render(string host)
    {
        if (PageAt(host) is not { } name)
        {
            return null;
        }
        var now = clock.GetUtcNow();
        var changes = incidents.Changes;
        if (_rendered.TryGetValue(name, out var cached) && cached.Changes == changes && now - cached.At < Reuse)
        {
            return cached.Html;
        }
        if (pages.Find(name) is not { } page)
        {
            return null;
        }
        var html = StatusPageRenderer.Render(models.Build(page));
        _rendered[name] = (changes, now, html);
        return html;
    }

    /// <summary>A person's note on an incident of the page's apps: the one named, or the open one of --component (a new
    /// incident of that app when none is open), or the page's only open incident. <paramref name="resolved"/> closes an
    /// incident a person opened; a check's incident closes by itself when the check recovers.</summary>
    public StatusNoteView Note(string name, string? text, string? incidentId, string? component, bool resolved, string author)
    {
        var page = Require(name);
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 2000)
        {
            throw new UserException("Give the note's text (at most 2,000 characters), like \"We are investigating slow checkouts\".");
        }
        var apps = page.AppNames;
        if (component is not null && !apps.Contains(component))
        {
            throw new UserException($"{component} is not on status page {name}; its components: {string.Join(", ", apps)}.");
        }
        var now = clock.GetUtcNow();
        var open = incidents.Incidents(apps, now).Where(i => i.IsOpen).ToList();
        UptimeIncident incident;
        if (incidentId is not null)
        {
            incident = incidents.Incident(incidentId) is { } found && apps.Contains(found.App)
                ? found
                : throw new UserException($"Status page {name} has no incident {incidentId}. 'slipway status-page ls' names each page's open incidents.", 404);
        }
        else if (component is not null)
        {
            if (open.FirstOrDefault(i => i.IsManual && i.App == component) is { } manual)
            {
                incident = manual;
            }
            else if (resolved)
            {
                throw new UserException($"{component} has no open incident opened by a person to resolve; a check's incident closes when the check recovers.");
            }
            else
            {
                incident = new UptimeIncident(Ids.New("inc"), null, component, $"{component}: {FirstLine(text)}", now, null, "opened by " + author, null, 1);
                incidents.Insert(incident);
            }
        }
        else
        {
            incident = open.Count switch
            {
                1 => open[0],
                0 => throw new UserException($"Status page {name} has no open incident. Open one with: slipway status-page note {name} \"...\" --component APP"),
                _ => throw new UserException($"Status page {name} has {open.Count} open incidents; name one with --incident: " +
                    string.Join(", ", open.Select(i => $"{i.Id} ({i.Title})"))),
            };
        }
        if (resolved && incident.IsOpen && !incident.IsManual)
        {
            throw new UserException($"{incident.Id} is a check's incident: it closes by itself when the check recovers. Add the note without --resolved.");
        }
        incidents.AddNote(incident.Id, now, text, resolved, author);
        if (resolved && incident.IsManual)
        {
            incidents.Close(incident.Id, now);
        }
        var after = incidents.Incident(incident.Id)!;
        return new StatusNoteView(name, after.Id, after.Title, after.IsOpen, now, text);
    }

    /// <summary>For <see cref="AppHosts.Reserve"/>: a status page's hostname is no app's.</summary>
    private string? ReservedHostname(string host) => PageAt(host) is { } page
        ? $"{host} is the hostname of status page {page}; a hostname belongs to one app or page (slipway status-page rm {page} frees it)."
        : null;

    private void Publish()
    {
        var all = pages.List();
        _byHost = all.ToFrozenDictionary(p => p.Host, p => p.Name, StringComparer.OrdinalIgnoreCase);
        routes.SetPlatformServed(all.Select(p => p.Host).ToList());
    }

    private StatusPageRecord Require(string name) =>
        pages.Find(name) ?? throw new UserException($"There is no status page named {name}. 'slipway status-page ls' lists them.", 404);

    private StatusPageView View(StatusPageRecord page) =>
        new(page.Name, page.Host, page.Title, page.AppNames, edge.UrlOf(page.Host) + "/", page.CreatedAt, incidents.Incidents(page.AppNames, clock.GetUtcNow())
            .Where(i => i.IsOpen).Select(i => new StatusIncidentView(i.Id, i.App, i.Title, i.StartedAt, i.IsManual)).ToList());

    private static string FirstLine(string text)
    {
        var line = text.Split('\n')[0].Trim();
        return line.Length > 80 ? line[..77] + "..." : line;
    }
}
