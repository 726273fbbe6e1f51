using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Slipway.Edge.Tls;

namespace Slipway.Tests.Edge.Tls;

/// <summary>A real Kestrel on 127.0.0.1:0 terminating TLS with a <see cref="CertificateStore"/>, wired the way the
/// edge wires it, and a client that shakes hands with a chosen SNI name.</summary>
internal sealed class TlsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <param name="withChain">Select through <see cref="CertificateStore.SelectContext"/> (sends intermediates)
    /// instead of Kestrel's <c>ServerCertificateSelector</c>.</param>
    public static async Task<TlsServer> StartAsync(CertificateStore store, bool withChain = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (withChain)
                {
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = context => ValueTask.FromResult(new SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = store.SelectContext(context.ClientHelloInfo.ServerName),
                        }),
                    });
                }
                else
                {
                    listen.UseHttps(https => https.ServerCertificateSelector = (_, name) => store.Select(name));
                }
            });
        });
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsync($"hello {context.Request.Host.Host} over {context.Request.Scheme}"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TlsServer(app, new Uri(address).Port);
    }

    /// <summary>Shakes hands with <paramref name="serverName"/> as SNI (none when empty or an IP) and returns the
    /// certificate the server presented, accepting it whatever it is.</summary>
    public async Task<X509Certificate2> HandshakeAsync(string serverName)
    {
        X509Certificate2? presented = null;
        await HandshakeAsync(serverName, new SslClientAuthenticationOptions
        {
#pragma warning disable CA5359 // The test inspects whatever the server presents, trusted or not.
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
            {
                presented = cert is null ? null : X509CertificateLoader.LoadCertificate(cert.GetRawCertData());
                return true;
            },
#pragma warning restore CA5359
        });
        return presented ?? throw new InvalidOperationException("The server presented no certificate.");
    }

    /// <summary>Shakes hands with .NET's normal validation, trusting only <paramref name="trusted"/> as a root:
    /// passes only when the certificate chains to it and matches the name.</summary>
    public Task HandshakeTrustingAsync(string serverName, X509Certificate2 trusted)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(trusted);
        return HandshakeAsync(serverName, new SslClientAuthenticationOptions { CertificateChainPolicy = policy });
    }

    private async Task HandshakeAsync(string serverName, SslClientAuthenticationOptions options)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, Port);
        await using var ssl = new SslStream(tcp.GetStream());
        options.TargetHost = serverName;
        options.EnabledSslProtocols = SslProtocols.None;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await ssl.AuthenticateAsClientAsync(options, timeout.Token);
    }

    /// <summary>A real HTTPS request for https://HOST/ sent to this server, validated against
    /// <paramref name="trusted"/> as the only root.</summary>
    public async Task<string> GetAsync(string host, X509Certificate2 trusted, Version? version = null)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(trusted);
        handler.SslOptions.CertificateChainPolicy = policy;
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"https://{host}:{Port}/"))
        {
            Version = version ?? HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return $"HTTP/{response.Version} " + await response.Content.ReadAsStringAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
