using System.Buffers.Text;
using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Slipway.Domains.Acme;

/// <summary>A certificate's ACME Renewal Information id (RFC 9773 §4.1): base64url of the Authority Key Identifier's
/// keyIdentifier, a dot, base64url of the serial number's DER content octets (with its leading zero, if any). The
/// same id names the certificate in renewalInfo requests and in a new order's "replaces".</summary>
internal static class AcmeCertificateId
{
    public static string From(ReadOnlySpan<byte> authorityKeyIdentifier, ReadOnlySpan<byte> serialDer) =>
        Base64Url.EncodeToString(authorityKeyIdentifier) + "." + Base64Url.EncodeToString(serialDer);

    /// <summary>The id of <paramref name="certificate"/>, or null when it has no Authority Key Identifier with a
    /// keyIdentifier (then the CA cannot have renewal information for it).</summary>
    public static string? Of(X509Certificate2 certificate)
    {
        var aki = certificate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().FirstOrDefault();
        if (aki?.KeyIdentifier is not { } keyIdentifier)
        {
            return null;
        }
        return From(keyIdentifier.Span, SerialDer(certificate.RawData));
    }

    /// <summary>The serial number exactly as it is encoded: Certificate → TBSCertificate → [0] version? → INTEGER.</summary>
    private static byte[] SerialDer(byte[] certificate)
    {
        var tbs = new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
        {
            tbs.ReadEncodedValue();
        }
        return tbs.ReadIntegerBytes().ToArray();
    }
}
