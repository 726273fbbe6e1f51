using System.Text.Json;
using Slipway.State;

namespace Slipway.Deploy;

/// <summary>The hostnames an app answers: APP.localhost plus the extra ones added with --host or `hosts add`.
/// A hostname belongs to one app only; taking another app's is refused rather than silently moving its traffic.
/// Extra hostnames stay until removed on purpose (`hosts rm`): a deploy only adds, and a rollback keeps them.
/// Changes and route switches take one lock, so a switch never routes a hostname removed a moment before.</summary>
internal sealed class AppHosts(Store store, AppRuntime runtime, Edge.Routes routes, DeployOptions options)
{
    private readonly Lock _gate = runtime.RouteGate;

    public IReadOnlyList<string> For(string app) => [Default(app), .. Extra(store.FindApp(app))];

    /// <summary>The hostnames added to the app (besides APP.localhost).</summary>
    public IReadOnlyList<string> ExtraOf(string app) => Extra(store.FindApp(app));

    /// <summary>Why a hostname cannot be given to any app (a domain's redirect-from name: it answers a redirect), or
    /// null. Registered by the Domains subsystem, which sits above this one.</summary>
    public Func<string, string?>? Reserved { get; set; }

    private volatile Func<string, string?>[] _reservations = [];

    /// <summary>Adds a reason a hostname cannot be any app's (a status page's hostname: the platform serves it), besides
    /// <see cref="Reserved"/>. Registered by subsystems above this one; checked for an app's own name too.</summary>
    public void Reserve(Func<string, string?> why)
    {
        lock (_gate)
        {
            _reservations = [.. _reservations, why];
        }
    }

    /// <summary>Why no app may take <paramref name="host"/>, or null.</summary>
    public string? ReservedFor(string host)
    {
        host = host.ToLowerInvariant();
        foreach (var why in _reservations)
        {
            if (why(host) is { } reason)
            {
                return reason;
            }
        }
        return Reserved?.Invoke(host);
    }

    /// <summary>Runs another subsystem's claim of a hostname (a status page's: checked against the apps', then recorded
    /// and reserved) under the lock every app hostname change takes, so an app and a page cannot take one name at once.</summary>
    public T Claim<T>(Func<T> claim)
    {
        lock (_gate)
        {
            return claim();
        }
    }

    /// <summary>The app environment (row key) whose hostname <paramref name="host"/> is, or null.</summary>
    public string? OwnerOf(string host) =>
        store.ListApps().FirstOrDefault(a => For(a.Name).Contains(host, StringComparer.OrdinalIgnoreCase))?.Name;

    /// <summary>Throws a user error when a hostname is malformed or already serves another app.</summary>
    public void Validate(string app, IReadOnlyList<string> extra)
    {
        var owners = new Dictionary<string, AppRecord>(StringComparer.OrdinalIgnoreCase);
        foreach (var other in store.ListApps().Where(a => a.Name != app))
        {
            owners[Default(other.Name)] = other;
            foreach (var host in Extra(other))
            {
                owners[host] = other;
            }
        }
        if (string.Equals(Default(app), options.PlatformHost, StringComparison.OrdinalIgnoreCase))
        {
            throw new UserException($"An app named {app} would take {options.PlatformHost}, the platform's own hostname (its API and logins). Pick another app name.");
        }
        if (_reservations.Select(why => why(Default(app))).FirstOrDefault(r => r is not null) is { } taken)
        {
            throw new UserException($"An app named {app} would take {Default(app)}: {taken} Pick another app name.");
        }
        if (owners.TryGetValue(Default(app), out var squatter))
        {
            throw new UserException($"{Default(app)} is already a hostname of app {squatter.Ref}. Pick another app name, or remove that hostname first: " +
                $"slipway hosts rm {squatter.Ref.Flags} {Default(app)}");
        }
        foreach (var host in extra)
        {
            AppNames.ValidateHost(host);
            if (string.Equals(host, options.PlatformHost, StringComparison.OrdinalIgnoreCase))
            {
                throw new UserException($"{host} is the platform's own hostname (its API and logins); an app cannot take it.");
            }
            if (ReservedFor(host) is { } why)
            {
                throw new UserException(why);
            }
            if (owners.TryGetValue(host, out var owner))
            {
                throw new UserException($"{host} already serves app {owner.Ref}; a hostname belongs to one app. Use another hostname, or remove it from " +
                    $"{owner.Ref} first: slipway hosts rm {owner.Ref.Flags} {host.ToLowerInvariant()}");
            }
        }
    }

    /// <summary>Adds hostnames to the app's (validated again: another app may have taken one meanwhile) and routes
    /// them at once when the app is routed. Hostnames it has already are kept as they are; returns the new ones.</summary>
    public IReadOnlyList<string> Add(string app, IReadOnlyList<string> extra)
    {
        lock (_gate)
        {
            var added = Record(app, extra);
            if (added.Count > 0)
            {
                RouteNow(app);
            }
            return added;
        }
    }

    /// <summary>Removes one hostname from the app; the edge stops routing it at once.</summary>
    public void Remove(string app, string host)
    {
        host = host.ToLowerInvariant();
        lock (_gate)
        {
            var current = Extra(store.FindApp(app));
            if (host == Default(app))
            {
                throw new UserException($"{host} is the app's own hostname and stays while the app exists; only hostnames added with --host or 'slipway hosts add' can be removed.");
            }
            if (!current.Contains(host))
            {
                throw new UserException($"{host} is not a hostname of {store.RefOf(app)}; its hostnames: {string.Join(", ", For(app))}. " +
                    "'slipway hosts ls' lists them.", 404);
            }
            store.SetHosts(app, JsonSerializer.Serialize(current.Where(h => h != host).ToList()));
            RouteNow(app);
        }
    }

    /// <summary>Runs a route switch with the app's current hostnames (plus <paramref name="adding"/>, recorded
    /// first), so a hostname change cannot slip in between.</summary>
    public void Switch(string app, Action<IReadOnlyList<string>> switchTo, IReadOnlyList<string>? adding = null)
    {
        lock (_gate)
        {
            if (adding is not null)
            {
                Record(app, adding);
            }
            switchTo(For(app));
        }
    }

    /// <summary>The first deployment of an app that has never served is starting: its hostnames answer 503
    /// "starting" with Retry-After until the switch routes them. Hostnames given with --host are not among them:
    /// they are the app's only once it is live. False (nothing parked) when the app has a live version.</summary>
    public bool ParkFirstStart(string app)
    {
        lock (_gate)
        {
            if (store.FindApp(app) is not { LiveDeploymentId: null } record)
            {
                return false;
            }
            routes.ParkStarting(record.Ref, For(app));
            return true;
        }
    }

    /// <summary>That first deployment failed or was cancelled: its hostnames have no route again ("no app here").</summary>
    public void UnparkFirstStart(string app)
    {
        lock (_gate)
        {
            routes.RemoveStarting(app);
        }
    }

    private List<string> Record(string app, IReadOnlyList<string> extra)
    {
        Validate(app, extra);
        var current = Extra(store.FindApp(app));
        var added = extra.Select(h => h.ToLowerInvariant()).Where(h => h != Default(app) && !current.Contains(h)).Distinct().ToList();
        if (added.Count > 0)
        {
            store.SetHosts(app, JsonSerializer.Serialize(current.Concat(added).ToList()));
        }
        return added;
    }

    /// <summary>A serving app is routed at its new hostnames; a stopped one stays parked at them; an app never
    /// routed gets them with its first deployment.</summary>
    private void RouteNow(string app)
    {
        if (runtime.Serving(app) is not null)
        {
            runtime.Reroute(app, For(app));
        }
        else if (routes.Current.Apps.Any(a => a.App == app))
        {
            routes.Park(store.RefOf(app), For(app));
        }
    }

    private static string Default(string app) => $"{app}.localhost";

    private static List<string> Extra(AppRecord? record) =>
        record is null ? [] : JsonSerializer.Deserialize<List<string>>(record.Hosts) ?? [];
}
