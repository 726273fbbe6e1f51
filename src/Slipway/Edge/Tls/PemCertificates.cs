using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Edge.Tls;

/// <summary>Turns a fullchain PEM (leaf first, then intermediates) and a private key PEM into a served
/// certificate, after checking everything a browser would reject: the key matches, the certificate is valid
/// now and covers the host. Every failure is a <see cref="UserException"/> that says what to do next; no
/// message ever includes key material.</summary>
internal static class PemCertificates
{
    public const string ChainFile = "fullchain.pem";
    public const string KeyFile = "privkey.pem";

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    public static CertificateEntry Load(string host, string certPem, string keyPem, DateTimeOffset now, CertificateSource source, string? directory)
    {
        var chain = ReadCertificates(host, certPem);
        var leaf = chain[0];
        CheckValidity(host, leaf, now);
        var names = HostNames.DnsNamesOf(leaf);
        if (!names.Any(n => HostNames.Covers(n, host)))
        {
            throw new UserException($"The certificate for {host} is for {Describe(names)}, not {host}. " +
                $"Get a certificate whose subject alternative names include {host}, or put this one under the directory of a host it covers.");
        }
        var withKey = AttachKey(host, leaf, keyPem);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain.Skip(1))
        {
            intermediates.Add(certificate);
        }
        var usable = withKey;
        if (OperatingSystem.IsWindows())
        {
            // SChannel refuses an ephemeral (in-memory) key; a PKCS#12 round trip gives it a usable one. On
            // Linux OpenSSL takes the key as it is (the handshake tests prove it for RSA and ECDSA), and the
            // round trip would cost ~30 ms of PBKDF2 per certificate, so it is skipped.
            using (withKey)
            {
                usable = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
            }
        }
        // Builds the chain once here (offline: no network) so a handshake only sends what is ready.
        var context = SslStreamCertificateContext.Create(usable, intermediates, offline: true);
        return new CertificateEntry(host, usable, context, source, names, directory);
    }

    private static List<X509Certificate2> ReadCertificates(string host, string pem)
    {
        var result = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                try
                {
                    result.Add(X509CertificateLoader.LoadCertificate(der));
                }
                catch (CryptographicException)
                {
                    throw new UserException($"{ChainFile} for {host}: certificate #{result.Count + 1} is not a valid X.509 certificate. " +
                        "Copy the file again from your certificate authority (PEM, leaf certificate first, then intermediates).");
                }
            }
            rest = rest[fields.Location.End..];
        }
        if (result.Count == 0)
        {
            throw new UserException($"{ChainFile} for {host} contains no PEM certificate (expected '-----BEGIN CERTIFICATE-----' blocks, " +
                "leaf first, then intermediates). Check that you did not swap the certificate and key files.");
        }
        return result;
    }

    private static void CheckValidity(string host, X509Certificate2 leaf, DateTimeOffset now)
    {
        var notBefore = new DateTimeOffset(leaf.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
        if (now < notBefore)
        {
            throw new UserException($"The certificate for {host} is not valid yet: it starts on {Format(notBefore)}. " +
                "Check this machine's clock, or wait until then.");
        }
        if (now >= notAfter)
        {
            throw new UserException($"The certificate for {host} expired on {Format(notAfter)}. Renew it and install the new files.");
        }
    }

    private static X509Certificate2 AttachKey(string host, X509Certificate2 leaf, string keyPem)
    {
        if (keyPem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new UserException($"The private key for {host} is encrypted with a passphrase. " +
                $"Decrypt it first (openssl pkey -in {KeyFile} -out {KeyFile}.plain) and install the plain key.");
        }
        try
        {
            switch (leaf.PublicKey.Oid.Value)
            {
                case RsaOid:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportFromPem(keyPem);
                    return leaf.CopyWithPrivateKey(rsa);
                }
                case EcOid:
                {
                    using var ec = ECDsa.Create();
                    ec.ImportFromPem(keyPem);
                    return leaf.CopyWithPrivateKey(ec);
                }
                default:
                    throw new UserException($"The certificate for {host} uses key algorithm {leaf.PublicKey.Oid.FriendlyName ?? leaf.PublicKey.Oid.Value}; " +
                        "Slipway serves RSA and ECDSA certificates. Request one of those from your certificate authority.");
            }
        }
        catch (ArgumentException) when (!PemEncoding.TryFind(keyPem, out _))
        {
            throw new UserException($"{KeyFile} for {host} contains no PEM private key (expected '-----BEGIN PRIVATE KEY-----'). " +
                "Check that you did not swap the certificate and key files.");
        }
        catch (ArgumentException)
        {
            throw Mismatch(host);
        }
        catch (CryptographicException)
        {
            throw Mismatch(host);
        }
    }

    private static UserException Mismatch(string host) =>
        new($"The private key for {host} does not match its certificate. Install the key that was generated together with " +
            "this certificate (the CSR's key), or get a new certificate for this key.");

    private static string Describe(IReadOnlyList<string> names) =>
        names.Count == 0 ? "no host name at all" : string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");

    private static string Format(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
