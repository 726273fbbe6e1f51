using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Tests.Edge.Tls;

/// <summary>Certificates made in the test (nothing secret is committed): self-signed leaves, or a small
/// root → intermediate → leaf chain.</summary>
internal static class TestCertificates
{
    public sealed record Pair(string CertPem, string KeyPem, string Serial);

    public static Pair SelfSigned(string cn, string[] dnsNames, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool rsa = false)
    {
        using var key = rsa ? (AsymmetricAlgorithm)RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = Request(cn, dnsNames, key);
        using var cert = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(90));
        return new Pair(cert.ExportCertificatePem(), ExportKey(key), cert.SerialNumber);
    }

    /// <summary>A key PEM that belongs to no certificate (for mismatch tests).</summary>
    public static string OtherKey(bool rsa = false)
    {
        using var key = rsa ? (AsymmetricAlgorithm)RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ExportKey(key);
    }

    /// <summary>A leaf signed by an intermediate signed by a root. Returns the pair (fullchain = leaf +
    /// intermediate) and the root, which a client trusts explicitly.</summary>
    public static (Pair Pair, X509Certificate2 Root) Chain(string host)
    {
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Slipway Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var root = rootRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(2));

        using var midKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var midRequest = new CertificateRequest("CN=Slipway Test Intermediate", midKey, HashAlgorithmName.SHA256);
        midRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        midRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        midRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(midRequest.PublicKey, false));
        midRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var midPublic = midRequest.Create(root, now.AddDays(-1), now.AddYears(1), [1, 2, 3, 4]);
        using var mid = midPublic.CopyWithPrivateKey(midKey);

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = Request(host, [host], leafKey);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(mid, true, false));
        using var leaf = leafRequest.Create(mid, now.AddDays(-1), now.AddDays(90), [5, 6, 7, 8]);
        return (new Pair(leaf.ExportCertificatePem() + "\n" + mid.ExportCertificatePem(), leafKey.ExportPkcs8PrivateKeyPem(), leaf.SerialNumber), root);
    }

    private static CertificateRequest Request(string cn, string[] dnsNames, AsymmetricAlgorithm key)
    {
        var request = key is RSA rsa
            ? new CertificateRequest($"CN={cn}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={cn}", (ECDsa)key, HashAlgorithmName.SHA256);
        if (dnsNames.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                if (IPAddress.TryParse(name, out var ip))
                {
                    names.AddIpAddress(ip);
                }
                else
                {
                    names.AddDnsName(name);
                }
            }
            request.CertificateExtensions.Add(names.Build());
        }
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request;
    }

    private static string ExportKey(AsymmetricAlgorithm key) => key.ExportPkcs8PrivateKeyPem();

    /// <summary>Writes a pair where an ACME client would, without going through the store.</summary>
    public static void WriteFiles(string certsDir, string directoryName, string certPem, string keyPem)
    {
        var dir = Path.Combine(certsDir, directoryName);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "fullchain.pem"), certPem);
        File.WriteAllText(Path.Combine(dir, "privkey.pem"), keyPem);
    }
}
