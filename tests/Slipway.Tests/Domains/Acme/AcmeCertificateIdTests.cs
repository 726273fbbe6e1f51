using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

public sealed class AcmeCertificateIdTests
{
    // RFC 9773 §4.1: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial 00:87:65:43:21.
    private static readonly byte[] KeyIdentifier = Convert.FromHexString("69885B6B87464041E1B37B847BA0AE2CDE01C8D4");
    private static readonly byte[] Serial = Convert.FromHexString("0087654321");
    private const string Expected = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

    [Fact]
    public void The_id_of_RFC_9773s_example_is_the_one_the_RFC_gives()
    {
        AcmeCertificateId.From(KeyIdentifier, Serial).Should().Be(Expected);
    }

    [Fact]
    public void The_id_is_read_from_a_certificate_with_the_serials_leading_zero_kept()
    {
        using var issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issuerRequest = new CertificateRequest("CN=issuer", issuerKey, HashAlgorithmName.SHA256);
        issuerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var issuer = issuerRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var leafRequest = new CertificateRequest("CN=shop.example", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(KeyIdentifier));

        using var leaf = leafRequest.Create(issuer, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), Serial);

        AcmeCertificateId.Of(leaf).Should().Be(Expected);
    }

    [Fact]
    public void A_certificate_without_an_authority_key_identifier_has_no_id()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var selfSigned = new CertificateRequest("CN=x", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        AcmeCertificateId.Of(selfSigned).Should().BeNull();
    }
}
