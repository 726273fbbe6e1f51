using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Slipway.Edge.Tls;

/// <summary>The edge's HTTPS listener: Kestrel's TLS with a certificate per SNI name, the intermediate profile
/// (<see cref="TlsProfile"/>), and TLS-ALPN-01 answers.
/// <code>
///   connection ──▶ peek the ClientHello (not consumed) ──▶ TLS handshake ──▶ HTTP/1.1 or h2
///                  offers acme-tls/1? ─────────────────▶ challenge certificate for the SNI host registered?
///                                                          yes: serve it, ALPN acme-tls/1 ──▶ close
///                                                          no:  the host's certificate, as for everyone
/// </code>
/// .NET's handshake callback sees the SNI name but not the client's ALPN list, hence the peek: it reads the first
/// record from the transport without consuming it (AdvanceTo(start, examined)), so SslStream then reads the same
/// bytes. It is bounded (one 16 KB record, <see cref="PeekTimeout"/>), and anything malformed just goes on to the
/// normal handshake.</summary>
internal static class HttpsListener
{
    /// <summary>How long a client may take to send its ClientHello: Kestrel's own handshake timeout.</summary>
    public static readonly TimeSpan PeekTimeout = TimeSpan.FromSeconds(10);

    /// <param name="select">The certificate for an SNI name (null: none, the handshake fails).</param>
    /// <param name="challenges">TLS-ALPN-01 certificates; null leaves the peek out.</param>
    public static void Configure(ListenOptions listen, Func<string?, SslStreamCertificateContext?> select, AcmeTlsChallenges? challenges)
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        if (challenges is not null)
        {
            listen.Use(next => context => PeekAsync(context, next));
        }
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context =>
            {
                var serverName = context.ClientHelloInfo.ServerName;
                if (challenges is not null && context.Connection.Features.Get<AcmeTlsOffered>() is not null && challenges.Find(serverName) is { } challenge)
                {
                    return ValueTask.FromResult(TlsProfile.Options(challenge, [AcmeTlsChallenges.Protocol]));
                }
                return ValueTask.FromResult(TlsProfile.Options(select(serverName)));
            },
        });
        if (challenges is not null)
        {
            // RFC 8737 section 3: a challenge connection carries no application data; close it once validated.
            listen.Use(next => context => IsAcmeTls(context) ? Task.CompletedTask : next(context));
        }
    }

    private static async Task PeekAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var input = context.Transport.Input;
        var offered = false;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.ConnectionClosed))
        {
            timeout.CancelAfter(PeekTimeout);
            try
            {
                while (true)
                {
                    var result = await input.ReadAsync(timeout.Token);
                    var buffer = result.Buffer;
                    if (ClientHello.Read(buffer, out offered) == ClientHello.Outcome.NeedMore && !result.IsCompleted)
                    {
                        input.AdvanceTo(buffer.Start, buffer.End); // nothing consumed; wait for more
                        continue;
                    }
                    input.AdvanceTo(buffer.Start); // nothing consumed or examined: the handshake reads it all again
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                context.Abort(); // no ClientHello in time: what the handshake timeout would have done
                return;
            }
        }
        if (offered)
        {
            context.Features.Set(AcmeTlsOffered.Instance);
        }
        await next(context);
    }

    private static bool IsAcmeTls(ConnectionContext context) =>
        context.Features.Get<ITlsApplicationProtocolFeature>() is { } alpn && alpn.ApplicationProtocol.Span.SequenceEqual(AcmeTlsChallenges.Protocol.Protocol.Span);

    /// <summary>Set on a connection whose ClientHello offered acme-tls/1.</summary>
    private sealed class AcmeTlsOffered
    {
        public static readonly AcmeTlsOffered Instance = new();
    }
}
