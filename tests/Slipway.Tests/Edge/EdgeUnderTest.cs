using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Edge;
using Slipway.Runtime;

namespace Slipway.Tests.Edge;

/// <summary>The real edge (EdgeServer + EdgeHandler + HttpForwarder) on a free loopback port, with a route
/// table the test fills in; "shop.localhost" is the app most tests use.</summary>
internal sealed class EdgeUnderTest : IAsyncDisposable
{
    private readonly EdgeServer _server;
    private readonly HttpForwarder _forwarder;

    private EdgeUnderTest(EdgeServer server, HttpForwarder forwarder, Routes routes, AccessMetrics metrics, EdgeHandler handler)
    {
        Handler = handler;
        Metrics = metrics;
        _server = server;
        _forwarder = forwarder;
        Routes = routes;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    public Routes Routes { get; }

    /// <summary>The handler, for settings the platform gives it (its HTTPS port, which names TLS serves).</summary>
    public EdgeHandler Handler { get; }
    public HttpClient Http { get; }
    public int Port => _server.Port;

    public AccessMetrics Metrics { get; } = new();

    /// <param name="lean">False: every request takes the general forwarder (SocketsHttpHandler), to test both paths.</param>
    public static async Task<EdgeUnderTest> StartAsync(string[]? trustedProxies = null, TimeSpan? headersTimeout = null, bool lean = true)
    {
        var routes = new Routes();
        var trusted = TrustedProxies.Parse(trustedProxies ?? []);
        var forwarder = new HttpForwarder(trusted, lean);
        var metrics = new AccessMetrics();
        var handler = new EdgeHandler(routes, forwarder, metrics, accessLog: null, trusted);
        var server = new EdgeServer(new EdgeOptions { HttpPort = 0 }, handler, NullLoggerFactory.Instance)
        {
            HeadersTimeout = headersTimeout ?? TimeSpan.FromSeconds(10),
        };
        await server.StartAsync(CancellationToken.None);
        return new EdgeUnderTest(server, forwarder, routes, metrics, handler);
    }

    /// <summary>Routes shop.localhost, every path, to <paramref name="endpoints"/>.</summary>
    public void RouteShopTo(params InstanceEndpoint[] endpoints) =>
        Routes.Set(new AppRoute("shop", "d-1", ["shop.localhost"], [new ServiceRoute("web", "/", endpoints, null)], EdgeRules.None));

    /// <summary>Routes shop.localhost to <paramref name="services"/> under the rules of <paramref name="spec"/>,
    /// compiled as a deployment's would be.</summary>
    public void RouteShop(Slipway.Manifests.RoutesSpec spec, params ServiceRoute[] services) =>
        Routes.Set(new AppRoute("shop", "d-1", ["shop.localhost"], services, EdgeRules.Compile("shop", spec, Routes.Limiters)));

    public static InstanceEndpoint Healthy(int port) => new($"i-{port}", port) { Healthy = true };

    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery, string host = "shop.localhost") =>
        new(method, $"http://127.0.0.1:{Port}{pathAndQuery}") { Headers = { Host = host } };

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _server.StopAsync(CancellationToken.None);
        _forwarder.Dispose();
        Routes.Dispose();
    }
}
