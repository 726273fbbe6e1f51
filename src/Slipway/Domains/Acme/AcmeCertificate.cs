namespace Slipway.Domains.Acme;

/// <summary>An issued certificate: the PEM chain as the CA sent it (leaf first), the new private key as PKCS#8 PEM,
/// the leaf's validity, and its RFC 9773 id (null when the leaf has no Authority Key Identifier).
/// <see cref="ToString"/> leaves the key out, so logging the record never logs the key.</summary>
internal sealed record AcmeCertificate(string ChainPem, string KeyPem, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string? CertificateId)
{
    public override string ToString() => $"AcmeCertificate {{ NotBefore = {NotBefore:O}, NotAfter = {NotAfter:O}, CertificateId = {CertificateId} }}";
}
