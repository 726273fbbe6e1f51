using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

/// <summary>What Pebble's validation reaches on this machine: a real Kestrel answering http-01 on
/// /.well-known/acme-challenge/TOKEN, and a TLS listener (SslStream) that serves a host's tls-alpn-01 certificate when
/// the ClientHello offers ALPN acme-tls/1. Both on loopback; they record which hosts they answered.</summary>
internal sealed class ChallengeResponder : IAsyncDisposable
{
    private readonly WebApplication _http;
    private readonly TcpListener _tls;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private ChallengeResponder(WebApplication http, int httpPort, TcpListener tls)
    {
        _http = http;
        HttpPort = httpPort;
        _tls = tls;
        TlsPort = ((IPEndPoint)tls.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int HttpPort { get; }

    public int TlsPort { get; }

    /// <summary>token → the body served for it.</summary>
    public ConcurrentDictionary<string, string> Http01 { get; } = new();

    /// <summary>host → the certificate served to an acme-tls/1 handshake for it.</summary>
    public ConcurrentDictionary<string, X509Certificate2> TlsAlpn01 { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Hosts (Host header) whose challenge path was fetched.</summary>
    public ConcurrentQueue<string> HttpHits { get; } = new();

    /// <summary>Hosts (SNI) that completed an acme-tls/1 handshake.</summary>
    public ConcurrentQueue<string> TlsHits { get; } = new();

    public static async Task<ChallengeResponder> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        ChallengeResponder? responder = null;
        app.Run(async context =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path.StartsWith(AcmeChallengeAnswers.Http01PathPrefix, StringComparison.Ordinal)
                && responder!.Http01.TryGetValue(path[AcmeChallengeAnswers.Http01PathPrefix.Length..], out var body))
            {
                responder.HttpHits.Enqueue(context.Request.Host.Host);
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync(body);
                return;
            }
            context.Response.StatusCode = 404;
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        var tls = new TcpListener(IPAddress.Loopback, 0);
        tls.Start();
        responder = new ChallengeResponder(app, port, tls);
        return responder;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tls.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = HandshakeAsync(client);
        }
    }

    private async Task HandshakeAsync(TcpClient client)
    {
        using (client)
        await using (var ssl = new SslStream(client.GetStream()))
        {
            string? host = null;
            var options = new SslServerAuthenticationOptions
            {
                ApplicationProtocols = [new SslApplicationProtocol(AcmeChallengeAnswers.AcmeTlsProtocol)],
                ServerCertificateSelectionCallback = (_, name) =>
                {
                    host = name;
                    return name is not null && TlsAlpn01.TryGetValue(name, out var certificate) ? certificate : null!;
                },
            };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await ssl.AuthenticateAsServerAsync(options, timeout.Token);
                if (ssl.NegotiatedApplicationProtocol.ToString() == AcmeChallengeAnswers.AcmeTlsProtocol && host is not null)
                {
                    TlsHits.Enqueue(host);
                }
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException
                or NotSupportedException or ArgumentException)
            {
                // A handshake for a host without a challenge certificate, or the validator hanging up: nothing to serve.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _tls.Stop();
        await _accepting;
        await _http.StopAsync();
        await _http.DisposeAsync();
        _stop.Dispose();
    }
}
