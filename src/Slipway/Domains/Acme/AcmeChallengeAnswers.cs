using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Slipway.Domains.Acme;

/// <summary>What a challenge is answered with. The key authorization (RFC 8555 §8.1) is the token, a dot, and the
/// account key's RFC 7638 thumbprint (the base64url SHA-256 of its canonical JWK):
///
///   http-01     (§8.3)   GET http://HOST/.well-known/acme-challenge/TOKEN  →  200, body = key authorization
///   tls-alpn-01 (RFC 8737) TLS to HOST:443 with ALPN "acme-tls/1"  →  a self-signed certificate for HOST whose critical
///                          acmeIdentifier extension holds SHA-256(key authorization)</summary>
internal static class AcmeChallengeAnswers
{
    public const string Http01PathPrefix = "/.well-known/acme-challenge/";

    /// <summary>The ALPN protocol a TLS-ALPN-01 validation offers, and the only one its answer may select.</summary>
    public const string AcmeTlsProtocol = "acme-tls/1";

    /// <summary>id-pe-acmeIdentifier (RFC 8737 §6.1).</summary>
    public const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

    public static string KeyAuthorization(string token, string accountKeyThumbprint) => token + "." + accountKeyThumbprint;

    public static string Http01Path(string token) => Http01PathPrefix + token;

    /// <summary>The TLS-ALPN-01 challenge certificate for <paramref name="host"/>, with its private key, for the edge
    /// to serve when a ClientHello for that name offers only acme-tls/1. Valid from a day before now for a week
    /// (validation happens within minutes; CAs do not check the dates).</summary>
    public static X509Certificate2 TlsAlpn01Certificate(string host, string keyAuthorization, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=ACME TLS-ALPN-01 challenge"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509Extension(AcmeIdentifierOid, AcmeIdentifierValue(keyAuthorization), critical: true));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
    }

    /// <summary>The acmeIdentifier extension's value: the DER OCTET STRING of SHA-256(key authorization).</summary>
    public static byte[] AcmeIdentifierValue(string keyAuthorization)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(SHA256.HashData(Encoding.ASCII.GetBytes(keyAuthorization)));
        return writer.Encode();
    }
}
