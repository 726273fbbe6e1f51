using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Edge.Tls;

/// <summary>The self-signed certificate for <c>localhost</c>, <c>*.localhost</c>, 127.0.0.1 and ::1, so apps are
/// reachable over HTTPS in development without any setup. Kept in certs/_development/ (a name no host can
/// have) as fullchain.pem + privkey.pem (0600) and reused across restarts, so a browser exception or a
/// trusted copy keeps working; made anew when missing, unreadable, or within <see cref="RenewBefore"/> of
/// expiry.</summary>
internal static class DevelopmentCertificate
{
    public const string DirectoryName = "_development";
    public const string Host = "localhost";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);
    public static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    public static bool NeedsRenewal(CertificateEntry entry, DateTimeOffset now) => entry.NotAfter - now < RenewBefore;

    /// <summary>Loads the stored certificate, or makes and stores a new one. The bool says it was made.</summary>
    public static (CertificateEntry Entry, bool Created) LoadOrCreate(string certsDir, DateTimeOffset now)
    {
        var dir = Path.Combine(certsDir, DirectoryName);
        var certPath = Path.Combine(dir, PemCertificates.ChainFile);
        var keyPath = Path.Combine(dir, PemCertificates.KeyFile);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            try
            {
                var entry = PemCertificates.Load(Host, File.ReadAllText(certPath), File.ReadAllText(keyPath), now, CertificateSource.Development, dir);
                if (!NeedsRenewal(entry, now))
                {
                    return (entry, false);
                }
            }
            catch (UserException)
            {
                // Unreadable, expired or tampered with: replaced below.
            }
        }
        var (cert, key) = Create(now);
        CertificateFiles.Write(dir, cert, key);
        return (PemCertificates.Load(Host, cert, key, now, CertificateSource.Development, dir), true);
    }

    /// <summary>A new ECDSA P-256 certificate and key, as PEM.</summary>
    public static (string CertPem, string KeyPem) Create(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=Slipway development certificate", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName("*.localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        // Backdated a little so a client whose clock is slightly behind still accepts it.
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.Add(Lifetime));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
