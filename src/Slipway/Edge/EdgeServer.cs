using System.IO.Compression;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Slipway.Edge;

/// <summary>The edge: its own Kestrel server on the HTTP (and optional HTTPS) port, separate from the API so
/// that neither one's middleware or limits touch the other. Everything it serves comes from the current route
/// table. Kestrel itself enforces the connection-level limits: header size (431), slow headers (slowloris:
/// the connection is closed), idle keep-alive connections, and request framing (bad chunking gets 400; Content-Length with
/// Transfer-Encoding is read as chunked and the connection closed after the answer).</summary>
internal sealed class EdgeServer(EdgeOptions options, EdgeHandler handler, ILoggerFactory loggerFactory,
    Tls.CertificateStore? certificates = null, Routes? routes = null, Tls.AcmeTlsChallenges? acmeChallenges = null,
    ListeningSockets? sockets = null) : IHostedService
{
    /// <summary>Request line plus headers; larger gets 431 (nginx's large_client_header_buffers is 32 KB too).</summary>
    public const int MaxRequestHeadersBytes = 32 * 1024;

    private static readonly System.Text.Encoding StrictLatin1 = System.Text.Encoding.GetEncoding("iso-8859-1",
        System.Text.EncoderFallback.ExceptionFallback, System.Text.DecoderFallback.ExceptionFallback);

    private WebApplication? _app;
    private ListeningSockets? _listening;

    /// <summary>How long a client may take to send its request headers (slowloris defence).</summary>
    public TimeSpan HeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The port actually bound (differs from the option when it was 0).</summary>
    public int Port { get; private set; }

    /// <summary>The HTTPS port actually bound, when the edge serves TLS.</summary>
    public int? HttpsPort { get; private set; }

    /// <summary>The address a browser opens for <paramref name="host"/> through this edge over HTTP: the port is given
    /// unless it is 80 (the bound one once started, so a port 0 in the options is never shown).</summary>
    public string UrlOf(string host)
    {
        var port = Port != 0 ? Port : options.HttpPort;
        return port == 80 ? $"http://{host}" : $"http://{host}:{port}";
    }

    /// <summary>The address of <paramref name="host"/> over HTTPS when the edge serves it (a custom domain with its
    /// certificate), with the port unless 443; over HTTP (<see cref="UrlOf"/>) when the edge has no HTTPS port.</summary>
    public string HttpsUrlOf(string host) =>
        HttpsPort is { } https ? (https == 443 ? $"https://{host}" : $"https://{host}:{https}") : UrlOf(host);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebHosts.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddResponseCompression(compression =>
        {
            // The edge terminates TLS for apps it knows; compressing there is what Vercel and Render do too.
            compression.EnableForHttps = true;
            compression.Providers.Add<BrotliCompressionProvider>();
            compression.Providers.Add<GzipCompressionProvider>();
            compression.MimeTypes = ResponseCompressionDefaults.MimeTypes.Concat(
                ["image/svg+xml", "application/manifest+json", "application/ld+json", "application/xhtml+xml", "text/javascript"]);
        });
        builder.Services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        var tls = certificates is not null && options.HttpsPort is not null;
        // The edge's sockets outlive this process when a supervisor or a successor holds them: a restart or an upgrade
        // refuses no connection (ListeningSockets).
        var listening = _listening = sockets ?? new ListeningSockets();
        Socket http;
        Socket? https;
        try
        {
            http = listening.Tcp("edge-http", IPAddress.Parse(options.HttpAddress), options.HttpPort);
            https = tls ? listening.Tcp("edge-https", IPAddress.Parse(options.HttpAddress), options.HttpsPort!.Value) : null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            var ports = tls ? $"{options.HttpPort} or {options.HttpsPort}" : $"{options.HttpPort}";
            throw new UserException($"The edge cannot listen on {options.HttpAddress} port {ports}: {e.Message}. " +
                "Stop whatever uses that port, or start with --http-port (and --https-port) to pick another.");
        }
        // Run request handling on the socket's own completion thread instead of queueing it to the thread pool:
        // the edge never blocks (files go out with sendfile, logs through a queue), and a proxy's work per
        // request is small enough that the hop costs more than the work (YARP's benchmarks run this way too).
        // No zero-byte read before each request (Kestrel's default, to hold no buffer for an idle connection): one
        // syscall less per request, for one 4 KB pool block per open connection.
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.UnsafePreferInlineScheduling = true;
            sockets.WaitForDataBeforeAllocatingBuffer = false;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // An app's response header bytes go out as they came (the forwarders read them one char per byte). A
            // character beyond Latin-1 is an error, never a silent '?' (the edge's own values are ASCII).
            kestrel.ResponseHeaderEncodingSelector = static _ => StrictLatin1;
            kestrel.Limits.MaxRequestHeadersTotalSize = MaxRequestHeadersBytes;
            kestrel.Limits.MaxRequestLineSize = 16 * 1024;
            kestrel.Limits.RequestHeadersTimeout = HeadersTimeout;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(75);
            kestrel.Limits.MaxRequestBodySize = null; // per app: routes.limits.maxBodySize, set per request
            kestrel.Limits.Http2.MaxStreamsPerConnection = 250;
            // Every listener notes the Connection tokens of each HTTP/1.1 request head (ConnectionTokenCapture): Kestrel
            // drops names listed beside keep-alive or close, which must not reach the app.
            kestrel.ListenHandle(ListeningSockets.HandleFor(http), listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(ConnectionTokenCapture.Middleware);
            });
            if (tls)
            {
                // Per handshake, by SNI name, with the chain's intermediates (a file's fullchain.pem); TLS-ALPN-01 answers.
                // SLIPWAY_TLS_ALPN_PEEK=0 leaves the ClientHello peek out, so bench/tls can measure what it costs
                // (TLS-ALPN-01 validations then fail; HTTP-01 still works).
                var peek = Environment.GetEnvironmentVariable("SLIPWAY_TLS_ALPN_PEEK") != "0";
                kestrel.ListenHandle(ListeningSockets.HandleFor(https!),
                    listen =>
                    {
                        Tls.HttpsListener.Configure(listen, SelectOrReportMissing, peek ? acmeChallenges : null);
                        listen.Use(ConnectionTokenCapture.Middleware); // after TLS: it reads the plaintext
                    });
            }
        });
        _app = builder.Build();
        _app.UseResponseCompression();
        _app.Run(handler.HandleAsync);
        try
        {
            await _app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            var ports = tls ? $"{options.HttpPort} or {options.HttpsPort}" : $"{options.HttpPort}";
            throw new UserException($"The edge cannot listen on {options.HttpAddress} port {ports}: {e.Message}. " +
                "Stop whatever uses that port, or start with --http-port (and --https-port) to pick another.");
        }
        Port = ((IPEndPoint)http.LocalEndPoint!).Port;
        HttpsPort = (https?.LocalEndPoint as IPEndPoint)?.Port;
        handler.HttpsPort = HttpsPort;
        if (certificates is not null)
        {
            handler.ServesTls = host => certificates.Find(host) is not null;
            handler.HasOwnCertificate = host => certificates.Find(host) is { Source: not Tls.CertificateSource.Development };
        }
    }

    /// <summary>Called (on the handshake's thread: it must return at once) with a hostname the edge routes but has no
    /// certificate for; the Domains subsystem then issues one in the background.</summary>
    public Action<string>? CertificateMissing { get; set; }

    private System.Net.Security.SslStreamCertificateContext? SelectOrReportMissing(string? serverName)
    {
        var context = certificates!.SelectContext(serverName);
        if (context is null && CertificateMissing is { } report && !string.IsNullOrEmpty(serverName) && routes?.Current.Match(serverName) is not null)
        {
            report(serverName);
        }
        return context;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not { } app)
        {
            return;
        }
        if (_handingOver)
        {
            // A successor takes the sockets: stop accepting now, let the requests in flight finish in the background
            // while the rest of the platform stops and lets the data directory go (the process waits for Drained).
            Drained = Task.Run(async () =>
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
                _listening?.Release("edge-http", "edge-https");
            }, CancellationToken.None);
            return;
        }
        await app.StopAsync(cancellationToken);
        await app.DisposeAsync();
        _listening?.Release("edge-http", "edge-https");
    }

    private volatile bool _handingOver;

    /// <summary>The platform hands over to a successor (`slipway upgrade`): the next stop does not wait for in-flight requests.</summary>
    public void HandOver() => _handingOver = true;

    /// <summary>Completes when the requests in flight at a handover are done.</summary>
    public Task Drained { get; private set; } = Task.CompletedTask;
}
