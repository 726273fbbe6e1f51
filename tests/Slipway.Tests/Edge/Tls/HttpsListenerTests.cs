using System.Formats.Asn1;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Slipway.Edge.Tls;

namespace Slipway.Tests.Edge.Tls;

/// <summary>The edge's HTTPS listener, checked with real openssl s_client: Mozilla's intermediate profile (no CBC,
/// no TLS below 1.2) and TLS-ALPN-01 answers after the ClientHello peek.</summary>
public sealed partial class HttpsListenerTests
{
    [Fact]
    public async Task Only_tls_1_2_and_1_3_with_aead_suites_are_offered()
    {
        await using var edge = await HttpsEdge.StartAsync();

        var cbc = await edge.SClientAsync("-servername", "localhost", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA");
        cbc.ExitCode.Should().NotBe(0, $"a CBC suite (LUCKY13) is refused: {cbc}");
        var cbc256 = await edge.SClientAsync("-servername", "localhost", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256");
        cbc256.ExitCode.Should().NotBe(0, $"so are the SHA-2 CBC suites: {cbc256}");
        // SECLEVEL=0 lets this client offer TLS 1.1 at all: the refusal is the server's.
        var old = await edge.SClientAsync("-servername", "localhost", "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0");
        old.ExitCode.Should().NotBe(0, $"TLS 1.1 is refused: {old}");

        foreach (var suite in new[] { "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305" })
        {
            var aead = await edge.SClientAsync("-servername", "localhost", "-tls1_2", "-cipher", suite);
            aead.ExitCode.Should().Be(0, aead.ToString());
            aead.Out.Should().Contain($"Cipher is {suite}");
        }
        var tls13 = await edge.SClientAsync("-servername", "shop.localhost", "-tls1_3");
        tls13.ExitCode.Should().Be(0, tls13.ToString());
        tls13.Out.Should().Contain("New, TLSv1.3, Cipher is TLS_AES_");
    }

    [Fact]
    public async Task A_validation_offering_acme_tls_gets_the_challenge_certificate_and_everyone_else_the_hosts_own()
    {
        var own = TestCertificates.SelfSigned("shop.example.test", ["shop.example.test"]);
        await using var edge = await HttpsEdge.StartAsync(certs => TestCertificates.WriteFiles(certs, "shop.example.test", own.CertPem, own.KeyPem));
        using var challenge = ChallengeCertificate("shop.example.test");
        edge.Challenges.Set("Shop.Example.Test", challenge);

        // Not its exit code: the edge closes a validation's connection after the handshake, and whether openssl then
        // reads a close_notify or a reset (exit 1) depends on timing. The handshake it printed is what counts.
        var validation = await edge.SClientAsync("-servername", "shop.example.test", "-alpn", "acme-tls/1");
        validation.Out.Should().Contain("ALPN protocol: acme-tls/1", validation.ToString());
        Presented(validation).Thumbprint.Should().Be(challenge.Thumbprint);

        var browser = await edge.SClientAsync("-servername", "shop.example.test", "-alpn", "h2,http/1.1");
        browser.ExitCode.Should().Be(0, browser.ToString());
        browser.Out.Should().Contain("ALPN protocol: h2");
        Presented(browser).SerialNumber.Should().Be(own.Serial);
        var plain = await edge.SClientAsync("-servername", "shop.example.test");
        Presented(plain).SerialNumber.Should().Be(own.Serial, "a client without ALPN gets the normal certificate");

        edge.Challenges.Remove("shop.example.test");
        var after = await edge.SClientAsync("-servername", "shop.example.test", "-alpn", "acme-tls/1");
        after.Out.Should().NotContain("ALPN protocol: acme-tls/1");
        if (after.Out.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
        {
            Presented(after).SerialNumber.Should().Be(own.Serial, "once removed the challenge is never served");
        }
    }

    [Fact]
    public async Task The_challenge_connection_is_closed_after_the_handshake_and_a_challenge_needs_no_certificate_of_its_own()
    {
        await using var edge = await HttpsEdge.StartAsync();
        using var challenge = ChallengeCertificate("new.example.test");
        edge.Challenges.Set("new.example.test", challenge);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, edge.HttpsPort);
        await using var ssl = new SslStream(tcp.GetStream());
        X509Certificate2? presented = null;
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "new.example.test",
            ApplicationProtocols = [new SslApplicationProtocol("acme-tls/1")],
#pragma warning disable CA5359 // The test looks at whatever the server presents, as an ACME validator does.
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
            {
                presented = X509CertificateLoader.LoadCertificate(cert!.GetRawCertData());
                return true;
            },
#pragma warning restore CA5359
        });
        ssl.NegotiatedApplicationProtocol.Should().Be(new SslApplicationProtocol("acme-tls/1"));
        presented!.Thumbprint.Should().Be(challenge.Thumbprint);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var read = await ssl.ReadAsync(new byte[16], timeout.Token);
        read.Should().Be(0, "the server closes a challenge connection once the handshake is done");

        // Without acme-tls/1 the host has no certificate at all: the handshake fails as before.
        var normal = await edge.SClientAsync("-servername", "new.example.test", "-alpn", "http/1.1");
        normal.ExitCode.Should().NotBe(0);
    }

    [Fact]
    public async Task Bytes_that_are_not_tls_close_the_connection_and_the_listener_keeps_serving()
    {
        await using var edge = await HttpsEdge.StartAsync();
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, edge.HttpsPort);
            var stream = tcp.GetStream();
            await stream.WriteAsync("GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n"u8.ToArray());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[256];
            while (await stream.ReadAsync(buffer, timeout.Token) > 0)
            {
                // whatever alert comes back, the connection ends
            }
        }
        var after = await edge.SClientAsync("-servername", "shop.localhost");
        after.ExitCode.Should().Be(0, after.ToString());
    }

    /// <summary>An RFC 8737 challenge certificate: self-signed, SAN the host, critical acmeIdentifier extension
    /// (1.3.6.1.5.5.7.1.31) holding an OCTET STRING of the 32-byte SHA-256 of the key authorization.</summary>
    internal static X509Certificate2 ChallengeCertificate(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(SHA256.HashData("token.thumbprint"u8));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.5.5.7.1.31", writer.Encode(), critical: true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
    }

    private static X509Certificate2 Presented(ExternalTool.Result sclient) =>
        X509Certificate2.CreateFromPem(Pem().Match(sclient.Out).Value);

    [GeneratedRegex("-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")]
    private static partial Regex Pem();
}
