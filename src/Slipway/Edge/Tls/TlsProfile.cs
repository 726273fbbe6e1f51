using System.Net.Security;
using System.Security.Authentication;

namespace Slipway.Edge.Tls;

/// <summary>What the HTTPS listener offers: Mozilla's "intermediate" profile. TLS 1.2 and 1.3 only; in TLS 1.2
/// only ECDHE with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), so no CBC suite (LUCKY13) and no static RSA key
/// exchange (no forward secrecy). The profile's DHE-RSA suites are left out: they need DH parameters the edge does
/// not configure, and every client that would pick them also offers ECDHE.</summary>
internal static class TlsProfile
{
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>In the profile's order of preference. Null where the platform's TLS cannot be told (Windows and
    /// macOS take no per-connection list; there the OS defaults, which drop CBC-first ordering, apply).</summary>
    public static readonly CipherSuitesPolicy? CipherSuites = OperatingSystem.IsLinux() || OperatingSystem.IsFreeBSD()
        ? new CipherSuitesPolicy(
        [
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ])
        : null;

    /// <summary>Options for one handshake with the profile. <paramref name="protocols"/> null lets Kestrel offer
    /// h2 and http/1.1 as the listener allows.</summary>
    public static SslServerAuthenticationOptions Options(SslStreamCertificateContext? certificate, List<SslApplicationProtocol>? protocols = null) => new()
    {
        ServerCertificateContext = certificate,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        ApplicationProtocols = protocols,
    };
}
