using Slipway.State;

namespace Slipway.Monitoring.Uptime;

/// <summary>What the API does with checks: add, remove, change, pause and list them. Every change is applied to the
/// running schedule at once (<see cref="UptimeMonitor.Reconcile"/>).</summary>
internal sealed class UptimeChecks(UptimeStore store, UptimeResults results, UptimeMonitor monitor, Store apps, UptimeOptions options, TimeProvider clock)
{
    /// <summary>User checks one app environment may have: one slot of the checker each for up to a timeout, so an
    /// environment cannot crowd out everyone's checks with many slow ones.</summary>
    public const int PerEnvironment = 20;

    public UptimeView Add(UptimeCheckSpec spec)
    {
        if (spec.Scope is { } scope && store.Checks().Count(c => c.App == scope.Key && c.Kind == JsonSpellings.Of(UptimeCheckKind.User)) >= PerEnvironment)
        {
            throw new UserException($"{scope} has {PerEnvironment} checks already, the most an environment may have; remove one first (slipway uptime rm NAME) " +
                "or ask an owner for a platform-wide check.", 409);
        }
        if (apps.FindApp(spec.Name) is not null)
        {
            throw new UserException($"{spec.Name} is the name of app {apps.RefOf(spec.Name)}'s own check; give this one another --name.", 409);
        }
        var record = new UptimeCheckRecord(Ids.New("uc"), spec.Name, JsonSpellings.Of(UptimeCheckKind.User), spec.Scope?.Key ?? "",
            spec.Url.OriginalString, (long?)spec.Every?.TotalMilliseconds, spec.Expect?.ToString(), (long?)spec.Timeout?.TotalMilliseconds, spec.Slo,
            null, 0, clock.GetUtcNow());
        if (!store.TryInsert(record))
        {
            var existing = store.Find(spec.Name)!;
            throw new UserException($"There is already a check named {spec.Name} ({existing.Url ?? "the default check of " + apps.RefOf(existing.App)}). " +
                $"Give this one another --name, or remove that one first: slipway uptime rm {spec.Name}.", 409);
        }
        monitor.Reconcile();
        return View(spec.Name);
    }

    /// <summary>Removes a check added with `uptime add`, with its incidents. An app's default check cannot be removed
    /// (it comes back with the app), only paused.</summary>
    public UptimeView Remove(string name)
    {
        var record = Require(name);
        if (record.CheckKind == UptimeCheckKind.Default)
        {
            throw new UserException($"{name} is the default check of {apps.RefOf(record.App)}: it stays while the app is deployed. " +
                $"Turn it off with: slipway uptime pause {name}", 409);
        }
        var view = View(name);
        store.Delete(record.Id);
        monitor.Reconcile();
        return view;
    }

    public UptimeView Change(string name, UptimeSettings settings)
    {
        var record = Require(name);
        if (settings.Path is not null && record.CheckKind != UptimeCheckKind.Default)
        {
            throw new UserException($"--path is for an app's default check; {name} checks {record.Url}: remove it and add it with the new URL.");
        }
        var (every, expect, timeout, slo, path) = settings.Parse(options);
        store.Update(record with
        {
            EveryMs = every is { } e ? (long)e.TotalMilliseconds : record.EveryMs,
            Expect = expect?.ToString() ?? record.Expect,
            TimeoutMs = timeout is { } t ? (long)t.TotalMilliseconds : record.TimeoutMs,
            Slo = slo ?? record.Slo,
            Path = path ?? record.Path,
        });
        monitor.Reconcile();
        return View(name);
    }

    /// <summary>Pauses or resumes a check. Pausing closes its open incident (its alert resolves).</summary>
    public UptimeView Pause(string name, bool paused)
    {
        var record = Require(name);
        store.Update(record with { Paused = paused ? 1 : 0 });
        monitor.Reconcile();
        return View(name);
    }

    /// <summary>The scope a check belongs to (its app environment, or null for the platform), for access checks; null
    /// when there is no such check (the endpoint then answers 404).</summary>
    public AppRef? ScopeOf(string name) => store.Find(name) is { App.Length: > 0 } record ? apps.RefOf(record.App) : null;

    public IReadOnlyList<UptimeView> List()
    {
        monitor.Reconcile();
        var latest = results.LatestOfEach();
        var open = store.OpenIncidents().Where(i => i.CheckId is not null).ToDictionary(i => i.CheckId!, StringComparer.Ordinal);
        return monitor.Checks.OrderBy(c => c.App ?? "", StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => View(c, latest.GetValueOrDefault(c.Id), open.GetValueOrDefault(c.Id))).ToList();
    }

    public UptimeView View(string name) =>
        List().FirstOrDefault(v => v.Name == name) ?? throw new UserException($"Check {name} is not running: its app has no live deployment.", 409);

    private UptimeView View(UptimeCheck check, UptimeResult? last, UptimeIncident? incident)
    {
        var now = clock.GetUtcNow();
        var downtimes = store.IncidentsOf(check.Id, now.AddDays(-30)).Select(i => i.Downtime).ToList();
        double? Over(TimeSpan window) => Availability.Percent(downtimes, check.Since, now - window, now);
        var month = Over(TimeSpan.FromDays(30));
        var state = check.Paused ? UptimeState.Paused : incident is not null ? UptimeState.Down : last is null ? UptimeState.Unknown : UptimeState.Up;
        return new UptimeView(check.Name, check.Kind, check.Scope?.App, check.Scope?.Env, check.Url, check.Interval, check.Expect.ToString(), check.Timeout,
            check.Slo, state, last?.At, last?.Status, last?.Milliseconds, last?.Error, Over(TimeSpan.FromDays(1)), Over(TimeSpan.FromDays(7)), month,
            month is null || month >= check.Slo, incident?.Id, incident?.StartedAt, incident?.LastCause ?? incident?.Cause);
    }

    private UptimeCheckRecord Require(string name) =>
        store.Find(name) ?? throw new UserException($"There is no uptime check named {name}. 'slipway uptime ls' lists them.", 404);
}
