namespace Slipway.Edge;

/// <summary>Holds the current <see cref="RouteTable"/>. Readers are lock-free; writers are serialised so two
/// apps switching at once cannot lose each other's change.</summary>
internal sealed class Routes : IDisposable
{
    /// <summary>Rate limiters outlive table swaps; see <see cref="RateLimiters"/>.</summary>
    public RateLimiters Limiters { get; } = new();

    private readonly Lock _writers = new();
    private RouteTable _current = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _current);

    public void Set(AppRoute route)
    {
        lock (_writers)
        {
            Volatile.Write(ref _current, _current.With(route));
        }
    }

    /// <summary>The app's hostnames (those it is routed at now) stay, answering that it is stopped, or with
    /// <paramref name="starting"/> that it is starting.</summary>
    public void Park(AppRef app, bool starting = false)
    {
        lock (_writers)
        {
            if (_current.Apps.FirstOrDefault(a => a.App == app.Key) is { } route)
            {
                Volatile.Write(ref _current, _current.With(starting ? AppRoute.StartingAt(app, route.Hosts) : AppRoute.StoppedAt(app, route.Hosts)));
            }
        }
    }

    /// <summary>The app's hostnames answer that it is stopped (a stopped app after a platform restart; new
    /// hostnames of a parked app), or still that it is starting when it is.</summary>
    public void Park(AppRef app, IReadOnlyList<string> hosts)
    {
        lock (_writers)
        {
            var starting = _current.Apps.Any(a => a.App == app.Key && a.Starting);
            Volatile.Write(ref _current, _current.With(starting ? AppRoute.StartingAt(app, hosts) : AppRoute.StoppedAt(app, hosts)));
        }
    }

    /// <summary>The app's hostnames answer that it is stopped, even while they answered that it was starting (a
    /// restarted platform could not bring it back).</summary>
    public void ParkStopped(AppRef app, IReadOnlyList<string> hosts) => Set(AppRoute.StoppedAt(app, hosts));

    /// <summary>The hostnames of an app that has never served, or that a restarted platform is bringing back, answer
    /// that it is starting; <see cref="RemoveStarting"/> takes them back if its first version fails.</summary>
    public void ParkStarting(AppRef app, IReadOnlyList<string> hosts) => Set(AppRoute.StartingAt(app, hosts));

    /// <summary>Removes the app's route if it is still parked as starting (its first version failed), so its
    /// hostnames give the unknown-host answer again; a route it went live with, or a stopped one, stays. True when removed.</summary>
    public bool RemoveStarting(string app)
    {
        lock (_writers)
        {
            if (!_current.Apps.Any(a => a.App == app && a.Starting))
            {
                return false;
            }
            Volatile.Write(ref _current, _current.Without(app));
            return true;
        }
    }

    /// <summary>The route name of the platform's own API: not a valid app name, so no app can replace it.</summary>
    public const string PlatformRoute = "(platform)";

    /// <summary>The route name of the other hostnames the platform serves itself (status pages).</summary>
    public const string PlatformServedRoute = "(platform-served)";

    private int _platformPort;
    private EdgeRules _platformRules = EdgeRules.None;
    private IReadOnlyList<string> _platformServed = [];

    /// <summary>Routes <paramref name="host"/> to the platform's own API on loopback <paramref name="port"/>, and the
    /// hostnames of <see cref="SetPlatformServed"/> with it. <paramref name="idle"/>: how long a response of the API may
    /// send nothing before the edge cuts it (as an app's routes.limits.responseTimeout; default 60 s): the API's
    /// followed streams send a keep-alive well within it.</summary>
    public void SetPlatform(string host, int port, TimeSpan? idle = null)
    {
        lock (_writers)
        {
            _platformPort = port;
            _platformRules = idle is { } limit
                ? EdgeRules.Compile("", new Manifests.RoutesSpec { Limits = new Manifests.EdgeLimitsSpec { ResponseTimeout = limit } }, null)
                : EdgeRules.None;
            Volatile.Write(ref _current, _current.With(PlatformAt(PlatformRoute, [host], port)));
            RouteServed();
        }
    }

    /// <summary>Routes <paramref name="hosts"/> (status pages) to the platform's own API listener, once it is known
    /// (<see cref="SetPlatform"/>); the API answers them with what it serves there and nothing else. Replaces the
    /// previous set; empty removes the route.</summary>
    public void SetPlatformServed(IReadOnlyList<string> hosts)
    {
        lock (_writers)
        {
            _platformServed = hosts;
            RouteServed();
        }
    }

    private void RouteServed()
    {
        var table = _current.Without(PlatformServedRoute);
        if (_platformPort > 0 && _platformServed.Count > 0)
        {
            table = table.With(PlatformAt(PlatformServedRoute, _platformServed, _platformPort));
        }
        Volatile.Write(ref _current, table);
    }

    private AppRoute PlatformAt(string name, IReadOnlyList<string> hosts, int port)
    {
        var api = new Runtime.InstanceEndpoint(name, port) { Healthy = true };
        return new AppRoute(name, name, hosts, [new ServiceRoute("api", "/", [api], null)], _platformRules) { PushRules = EdgeRules.GitPush };
    }

    public void Remove(string app)
    {
        lock (_writers)
        {
            Volatile.Write(ref _current, _current.Without(app));
        }
    }

    public void Dispose() => Limiters.Dispose();
}
