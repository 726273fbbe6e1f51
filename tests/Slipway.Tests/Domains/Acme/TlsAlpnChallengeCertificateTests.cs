using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

public sealed class TlsAlpnChallengeCertificateTests
{
    [Fact]
    public void The_challenge_certificate_is_self_signed_for_the_host_with_a_critical_acmeIdentifier_of_the_key_authorizations_digest()
    {
        const string keyAuthorization = "token.thumbprint";
        using var certificate = AcmeChallengeAnswers.TlsAlpn01Certificate("shop.example", keyAuthorization, DateTimeOffset.UtcNow);

        certificate.HasPrivateKey.Should().BeTrue("the edge serves it in a handshake");
        certificate.Subject.Should().Be(certificate.Issuer);
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Should().Equal("shop.example");
        var acmeIdentifier = certificate.Extensions[AcmeChallengeAnswers.AcmeIdentifierOid];
        acmeIdentifier.Should().NotBeNull();
        acmeIdentifier!.Critical.Should().BeTrue();
        var reader = new AsnReader(acmeIdentifier.RawData, AsnEncodingRules.DER);
        reader.ReadOctetString().Should().Equal(SHA256.HashData(Encoding.ASCII.GetBytes(keyAuthorization)));
        reader.HasData.Should().BeFalse();
        certificate.NotAfter.Should().BeAfter(DateTime.Now);
    }
}
