using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Domains.Acme;

/// <summary>The certificate signing request a finalize sends (RFC 8555 §7.4): every name as a DNS subjectAltName, the
/// first also as the common name when it fits (64 characters), signed by the certificate's new key.</summary>
internal static class AcmeCsr
{
    private const int MaxCommonName = 64;

    public static byte[] Create(IReadOnlyList<string> hosts, ECDsa certificateKey)
    {
        var subject = new X500DistinguishedNameBuilder();
        if (hosts[0].Length <= MaxCommonName)
        {
            subject.AddCommonName(hosts[0]);
        }
        var request = new CertificateRequest(subject.Build(), certificateKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            names.AddDnsName(host);
        }
        request.CertificateExtensions.Add(names.Build(critical: false));
        return request.CreateSigningRequest();
    }
}
