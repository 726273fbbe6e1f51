using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Edge.Tls;

/// <summary>The platform's own root certificate authority for development names, and the leaves it signs. Pure
/// functions over PEM: <see cref="DevelopmentCertificates"/> decides when to call them and where the files live.
/// <para>The root is name-constrained (critical NameConstraints: dNSName localhost, which RFC 5280 reads as
/// localhost and every name under it, and the loopback networks 127.0.0.0/8 and ::1/128), so a developer who
/// trusts it trusts nothing outside their own machine's names even if its key leaked.</para></summary>
internal static class DevelopmentCa
{
    public static readonly TimeSpan RootLifetime = TimeSpan.FromDays(3650);
    public static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(90);

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string NameConstraintsOid = "2.5.29.30";

    /// <summary>A new ECDSA P-256 root: CA, path length 0, name-constrained to localhost names and loopback IPs.</summary>
    public static (string CertPem, string KeyPem) CreateRoot(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // A short random tag tells two machines' roots apart in a trust store listing.
        var tag = Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
        var request = new CertificateRequest($"CN=Slipway development CA {tag}, O=Slipway development CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        // Its chains are good for TLS servers only: a leaked key cannot sign client or email certificates.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(NameConstraints());
        using var root = request.CreateSelfSigned(now.AddDays(-1), now.Add(RootLifetime));
        return (root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The root certificate with its private key, ready to sign. Throws <see cref="UserException"/> when the
    /// files are not a CA certificate and its key.</summary>
    public static X509Certificate2 LoadRoot(string certPem, string keyPem)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPem(certPem);
            if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                throw new UserException("The development root is not a CA certificate.");
            }
            using var key = ECDsa.Create();
            key.ImportFromPem(keyPem);
            return certificate.CopyWithPrivateKey(key);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new UserException("The development root or its key cannot be read, or they do not match.");
        }
    }

    /// <summary>A leaf for <paramref name="names"/> (DNS names or IP literals; the first is the subject's CN), signed by
    /// <paramref name="root"/>, valid for <see cref="LeafLifetime"/> but never past the root.</summary>
    public static (string CertPem, string KeyPem) IssueLeaf(X509Certificate2 root, IReadOnlyList<string> names, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={names[0]}, O=Slipway development"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(name);
            }
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var notAfter = now.Add(LeafLifetime);
        var rootNotAfter = new DateTimeOffset(root.NotAfter.ToUniversalTime());
        if (notAfter > rootNotAfter)
        {
            notAfter = rootNotAfter;
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive INTEGER
        using var rootKey = root.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException("The development root was loaded without its private key.");
        // Backdated a little so a client whose clock is slightly behind still accepts it.
        using var leaf = request.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), now.AddHours(-1), notAfter, serial);
        return (leaf.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Whether <paramref name="leaf"/> was signed by <paramref name="root"/>'s key (its authority key id is
    /// the root's subject key id): a leaf left from an earlier root is issued again.</summary>
    public static bool IssuedBy(X509Certificate2 leaf, X509Certificate2 root)
    {
        var authority = leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault()?.KeyIdentifier;
        var subject = root.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes;
        return authority is { } a && subject is { } s && a.Span.SequenceEqual(s.Span);
    }

    /// <summary>The SHA-256 fingerprint as browsers and openssl show it (AB:CD:...).</summary>
    public static string Fingerprint(X509Certificate2 certificate) =>
        string.Join(':', SHA256.HashData(certificate.RawData).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees } with dNSName "localhost",
    /// iPAddress 127.0.0.0/255.0.0.0 and ::1/128 (.NET has no builder for it, so it is written with AsnWriter).
    /// A name type with no permitted subtree (the subject's directory name) stays unconstrained, as RFC 5280 says.</summary>
    private static X509Extension NameConstraints()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            using (writer.PushSequence())
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, "localhost", new Asn1Tag(TagClass.ContextSpecific, 2));
            }
            using (writer.PushSequence())
            {
                writer.WriteOctetString([127, 0, 0, 0, 255, 0, 0, 0], new Asn1Tag(TagClass.ContextSpecific, 7));
            }
            using (writer.PushSequence())
            {
                var loopback = new byte[32];
                loopback[15] = 1;
                Array.Fill(loopback, (byte)0xFF, 16, 16);
                writer.WriteOctetString(loopback, new Asn1Tag(TagClass.ContextSpecific, 7));
            }
        }
        return new X509Extension(NameConstraintsOid, writer.Encode(), critical: true);
    }
}
