using System.Collections.Frozen;
using Slipway.Runtime;

namespace Slipway.Edge;

/// <summary>An immutable snapshot of where every hostname goes. Requests read the current snapshot without
/// locks; a deploy builds a new one and swaps it in whole (<see cref="Routes"/>), so a request sees either
/// the old version or the new one, never a mix.</summary>
internal sealed class RouteTable
{
    public static readonly RouteTable Empty = new(FrozenDictionary<string, AppRoute>.Empty);

    private readonly FrozenDictionary<string, AppRoute> _byHost;

    private RouteTable(FrozenDictionary<string, AppRoute> byHost) => _byHost = byHost;

    public IEnumerable<AppRoute> Apps => _byHost.Values.Distinct();

    /// <summary>The app at <paramref name="host"/> (a Host header: port and a trailing dot ignored, any case),
    /// looked up without allocating.</summary>
    public AppRoute? Match(string host)
    {
        var name = host.AsSpan();
        var colon = name.LastIndexOf(':');
        if (colon > 0 && !name.EndsWith("]"))
        {
            name = name[..colon];
        }
        name = name.TrimEnd('.');
        return _byHost.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var route) ? route : null;
    }

    public RouteTable With(AppRoute route)
    {
        var map = _byHost.Where(kv => kv.Value.App != route.App).ToDictionary();
        foreach (var host in route.Hosts)
        {
            map[host] = route;
        }
        return new RouteTable(map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }

    public RouteTable Without(string app) =>
        new(_byHost.Where(kv => kv.Value.App != app).ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
}

/// <summary>One app's routes: its hostnames, its services (longest path prefix first) and the compiled edge
/// rules of the deployment they belong to.</summary>
internal sealed record AppRoute(string App, string DeploymentId, IReadOnlyList<string> Hosts, IReadOnlyList<ServiceRoute> Services,
    EdgeRules Rules)
{
    /// <summary>Rules for git pushes (/git/APP.git/git-receive-pack): the platform's own route sets these, since a
    /// push carries a whole history and answers only once its deployment ended; null elsewhere.</summary>
    public EdgeRules? PushRules { get; init; }

    /// <summary>The rules a request to <paramref name="path"/> is served by.</summary>
    public EdgeRules RulesFor(string path) =>
        PushRules is { } push && IsPush(path) ? push : Rules;

    /// <summary>/git/APP.git/git-receive-pack exactly (the method is git's POST; the API answers others 405).</summary>
    private static bool IsPush(string path) =>
        path.StartsWith("/git/", StringComparison.Ordinal) && path.EndsWith(".git/git-receive-pack", StringComparison.Ordinal) &&
        path.IndexOf('/', 5) == path.Length - "/git-receive-pack".Length;

    /// <summary>The app is stopped: its hostnames answer 503 with the command that starts it, not "no app here".</summary>
    public bool Stopped { get; init; }

    /// <summary>The app is being started (`slipway start`): its hostnames answer 503 with Retry-After until it serves.</summary>
    public bool Starting { get; init; }

    /// <summary>The environment the route belongs to, as the user names it (for "slipway start --app shop --env
    /// staging" and the metrics' app and env labels, not the store key "shop-staging").</summary>
    public AppRef Ref { get; init; }

    public static AppRoute StoppedAt(AppRef app, IReadOnlyList<string> hosts) =>
        new(app.Key, "", hosts, [], EdgeRules.None) { Stopped = true, Ref = app };

    public static AppRoute StartingAt(AppRef app, IReadOnlyList<string> hosts) =>
        new(app.Key, "", hosts, [], EdgeRules.None) { Starting = true, Ref = app };

    public ServiceRoute? MatchPath(string path)
    {
        foreach (var service in Services)
        {
            if (service.Matches(path))
            {
                return service;
            }
        }
        return null;
    }
}

/// <summary>A service behind a path prefix: either instances to forward to, or a static directory.</summary>
internal sealed class ServiceRoute(string name, string pathPrefix, IReadOnlyList<InstanceEndpoint> backends, StaticSite? site)
{
    private int _next;

    public string Name { get; } = name;
    public string PathPrefix { get; } = pathPrefix;
    public IReadOnlyList<InstanceEndpoint> Backends { get; } = backends;
    public StaticSite? Site { get; } = site;

    public bool Matches(string path) =>
        PathPrefix == "/" ||
        path.Equals(PathPrefix, StringComparison.Ordinal) ||
        (path.StartsWith(PathPrefix, StringComparison.Ordinal) && (PathPrefix.EndsWith('/') || path[PathPrefix.Length] == '/'));

    /// <summary>The healthy backend with the fewest requests in flight (least outstanding requests), skipping
    /// <paramref name="exclude"/> (a backend that just refused a connection). Equally loaded backends take
    /// turns; an unhealthy one's share is spread over all the others, not handed to its neighbour. Two passes,
    /// no allocation. Null when none is healthy.</summary>
    public InstanceEndpoint? Pick(InstanceEndpoint? exclude = null)
    {
        var backends = Backends;
        if (backends.Count == 1)
        {
            var only = backends[0];
            return only.Healthy && only != exclude ? only : null;
        }
        var least = int.MaxValue;
        var tied = 0;
        foreach (var candidate in backends)
        {
            if (!candidate.Healthy || candidate == exclude)
            {
                continue;
            }
            var load = candidate.InFlight;
            if (load < least)
            {
                least = load;
                tied = 1;
            }
            else if (load == least)
            {
                tied++;
            }
        }
        if (tied == 0)
        {
            return null;
        }
        var k = tied == 1 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)tied);
        InstanceEndpoint? fallback = null;
        foreach (var candidate in backends)
        {
            if (!candidate.Healthy || candidate == exclude)
            {
                continue;
            }
            fallback ??= candidate;
            if (candidate.InFlight <= least && k-- == 0)
            {
                return candidate;
            }
        }
        // Loads or health changed between the passes: any healthy backend beats a false 503.
        return fallback;
    }
}
