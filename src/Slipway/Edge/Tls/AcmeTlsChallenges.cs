using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Edge.Tls;

/// <summary>TLS-ALPN-01 challenge certificates (RFC 8737) the HTTPS listener answers with, by host. The ACME client
/// sets one while a validation is pending and removes it after; a handshake that offers <c>acme-tls/1</c> for that
/// host gets it, negotiates <c>acme-tls/1</c> and is closed right after, while every other client of the host keeps
/// getting the host's normal certificate. One per platform, in DI beside the <see cref="CertificateStore"/>.</summary>
internal sealed class AcmeTlsChallenges
{
    public static readonly SslApplicationProtocol Protocol = new("acme-tls/1");

    private readonly ConcurrentDictionary<string, SslStreamCertificateContext> _byHost = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Answer validations of <paramref name="host"/> with <paramref name="certificate"/> (self-signed, with
    /// its private key, the acmeIdentifier extension inside) until <see cref="Remove"/>. Replaces an earlier one.</summary>
    public void Set(string host, X509Certificate2 certificate)
    {
        var name = HostNames.Normalize(host);
        if (name is null || HostNames.IsWildcard(name))
        {
            throw new ArgumentException($"'{host}' is not a host name a TLS-ALPN-01 challenge can be for.", nameof(host));
        }
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The challenge certificate needs its private key.", nameof(certificate));
        }
        _byHost[name] = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
    }

    public void Remove(string host)
    {
        if (HostNames.Normalize(host) is { } name)
        {
            _byHost.TryRemove(name, out _);
        }
    }

    /// <summary>The challenge certificate for an SNI name, or null.</summary>
    public SslStreamCertificateContext? Find(string? serverName) =>
        _byHost.IsEmpty || string.IsNullOrEmpty(serverName) ? null : _byHost.GetValueOrDefault(serverName.TrimEnd('.'));
}
