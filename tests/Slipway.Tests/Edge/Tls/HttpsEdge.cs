using Microsoft.Extensions.Logging.Abstractions;
using Slipway.Edge;
using Slipway.Edge.Tls;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge.Tls;

/// <summary>The real edge (EdgeServer with its HTTPS listener) on free loopback ports, serving certificates from a
/// store over a temp certs directory, with the TLS-ALPN-01 registry the platform gives it.</summary>
internal sealed class HttpsEdge : IAsyncDisposable
{
    private readonly EdgeServer _server;
    private readonly HttpForwarder _forwarder;
    private readonly Routes _routes;

    private HttpsEdge(EdgeServer server, HttpForwarder forwarder, Routes routes, CertificateStore store, AcmeTlsChallenges challenges, string certs)
    {
        _server = server;
        _forwarder = forwarder;
        _routes = routes;
        Store = store;
        Challenges = challenges;
        CertsDir = certs;
    }

    public CertificateStore Store { get; }
    public AcmeTlsChallenges Challenges { get; }
    public string CertsDir { get; }
    public int HttpsPort => _server.HttpsPort!.Value;

    /// <param name="prepare">Writes files into the certs directory before the store first reads it.</param>
    public static async Task<HttpsEdge> StartAsync(Action<string>? prepare = null, int developmentLeaves = DevelopmentCertificates.DefaultMaxLeaves)
    {
        var certs = TempDirs.Create("certs");
        prepare?.Invoke(certs);
        var store = new CertificateStore(certs, TimeProvider.System, NullLogger<CertificateStore>.Instance, developmentLeaves: developmentLeaves);
        var challenges = new AcmeTlsChallenges();
        var routes = new Routes();
        var trusted = TrustedProxies.Parse([]);
        var forwarder = new HttpForwarder(trusted);
        var handler = new EdgeHandler(routes, forwarder, new AccessMetrics(), accessLog: null, trusted);
        var server = new EdgeServer(new EdgeOptions { HttpPort = 0, HttpsPort = 0 }, handler, NullLoggerFactory.Instance, store, routes, challenges);
        await server.StartAsync(CancellationToken.None);
        return new HttpsEdge(server, forwarder, routes, store, challenges, certs);
    }

    /// <summary>openssl s_client against the HTTPS port with <paramref name="args"/> added; stdin is empty, so it
    /// shakes hands, prints what it got and quits.</summary>
    public Task<ExternalTool.Result> SClientAsync(params string[] args) =>
        ExternalTool.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{HttpsPort}", .. args]);

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        _forwarder.Dispose();
        _routes.Dispose();
        Store.Dispose();
        TempDirs.Delete(CertsDir);
    }
}
