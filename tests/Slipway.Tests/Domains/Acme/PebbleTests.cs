using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Slipway.Domains.Acme;

using Slipway.Tests.Support;

namespace Slipway.Tests.Domains.Acme;

/// <summary>The ACME client against a real CA (Pebble), its validation answered by a real Kestrel (http-01) and a real
/// TLS listener (tls-alpn-01) on loopback.</summary>
public sealed class PebbleTests(PebbleFixture fixture) : IClassFixture<PebbleFixture>
{
    private static readonly string[] Both = [AcmeChallenge.Http01, AcmeChallenge.TlsAlpn01];

    [Fact]
    public async Task Issues_a_certificate_for_two_names_by_http01_that_chains_to_the_CA_and_matches_its_key()
    {
        var host = await fixture.HostAsync("shop");
        var www = "www." + host;
        await fixture.Pebble.AddHostAsync(www);
        using var accountKey = AcmeAccountKey.Generate();
        var logger = new RecordingLogger<AcmeClient>();
        using var client = fixture.Client(accountKey, logger: logger);
        await client.EnsureAccountAsync(["ops@example.com"], null, CancellationToken.None);
        var solver = new TestSolver(fixture.Responder, Both);

        var issued = await client.IssueAsync([host, www], solver, null, CancellationToken.None);

        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(issued.ChainPem);
        certificates.Count.Should().BeGreaterThanOrEqualTo(2, "the chain holds the leaf and Pebble's intermediate");
        var leaf = certificates[0];
        leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Should().BeEquivalentTo([host, www]);
        leaf.MatchesHostname(www).Should().BeTrue();

        using var root = await fixture.Pebble.RootAsync();
        using var build = new X509Chain();
        build.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        build.ChainPolicy.CustomTrustStore.Add(root);
        build.ChainPolicy.ExtraStore.AddRange(certificates);
        build.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        build.Build(leaf).Should().BeTrue(string.Join("; ", build.ChainStatus.Select(s => s.StatusInformation)));

        using var key = ECDsa.Create();
        key.ImportFromPem(issued.KeyPem);
        using var withKey = leaf.CopyWithPrivateKey(key);
        byte[] data = [1, 2, 3];
        var signature = withKey.GetECDsaPrivateKey()!.SignData(data, HashAlgorithmName.SHA256);
        leaf.GetECDsaPublicKey()!.VerifyData(data, signature, HashAlgorithmName.SHA256).Should().BeTrue("the key returned is the certificate's");

        issued.NotBefore.Should().Be(new DateTimeOffset(leaf.NotBefore.ToUniversalTime()));
        issued.NotAfter.Should().BeAfter(DateTimeOffset.UtcNow.AddDays(1));
        issued.CertificateId.Should().NotBeNull().And.Be(AcmeCertificateId.Of(leaf));

        fixture.Responder.HttpHits.Should().Contain([host, www], "Pebble fetched each name's answer over http-01");
        solver.Presented.Should().BeEquivalentTo([(host, AcmeChallenge.Http01), (www, AcmeChallenge.Http01)], "http-01 is preferred");
        solver.CleanedUp.Should().BeEquivalentTo(solver.Presented);

        logger.Text.Should().Contain(host);
        foreach (var secret in new[] { Body(issued.KeyPem), Body(accountKey.ToPem()) })
        {
            logger.Text.Should().NotContain(secret[..40], "no key material is logged");
            issued.ToString().Should().NotContain(secret[..40]);
        }
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    [Fact]
    public async Task Validates_by_tls_alpn01_with_the_challenge_certificate_served_for_acme_tls_1()
    {
        var host = await fixture.HostAsync("alpn");
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);
        await client.EnsureAccountAsync([], null, CancellationToken.None);
        var solver = new TestSolver(fixture.Responder, AcmeChallenge.TlsAlpn01);

        var issued = await client.IssueAsync([host], solver, null, CancellationToken.None);

        using var leaf = X509Certificate2.CreateFromPem(issued.ChainPem);
        leaf.MatchesHostname(host).Should().BeTrue();
        fixture.Responder.TlsHits.Should().Contain(host, "Pebble completed an acme-tls/1 handshake for the name");
        fixture.Responder.HttpHits.Should().NotContain(host);
        solver.Presented.Should().Equal((host, AcmeChallenge.TlsAlpn01));
        fixture.Responder.TlsAlpn01.Should().NotContainKey(host, "the challenge certificate is removed after validation");
    }

    [Theory]
    [InlineData(AcmeChallenge.Http01)]
    [InlineData(AcmeChallenge.TlsAlpn01)]
    public async Task A_wrong_answer_fails_validation_with_a_message_that_names_the_cause_and_is_cleaned_up(string type)
    {
        var host = await fixture.HostAsync("wrong");
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);
        await client.EnsureAccountAsync([], null, CancellationToken.None);
        var solver = new TestSolver(fixture.Responder, type) { ServeWrongAnswer = true };

        var failure = await client.Invoking(c => c.IssueAsync([host], solver, null, CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Is("unauthorized").Should().BeTrue(failure.Which.Type);
        failure.Which.Message.Should().Contain(host).And.Contain("was not this machine's").And.Contain("DNS for " + host + " points at this machine")
            .And.Contain($"by {type}");
        failure.Which.Detail.Should().NotBeNullOrEmpty();
        solver.CleanedUp.Should().Equal((host, type));
        failure.Which.Message.Should().NotContain(Body(accountKey.ToPem())[..40]);
    }

    [Theory]
    [InlineData(AcmeChallenge.Http01)]
    [InlineData(AcmeChallenge.TlsAlpn01)]
    public async Task A_name_that_does_not_resolve_fails_with_the_dns_cause(string type)
    {
        var host = $"nowhere-{Guid.NewGuid():N}"[..16] + ".acme.test"; // not added to challtestsrv: no A record
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);
        await client.EnsureAccountAsync([], null, CancellationToken.None);

        var failure = await client.Invoking(c => c.IssueAsync([host], new TestSolver(fixture.Responder, type), null, CancellationToken.None))
            .Should().ThrowAsync<AcmeException>();

        // Let's Encrypt says dns; Pebble says connection (http-01) or malformed (tls-alpn-01) with "could not resolve".
        failure.Which.Type.Should().BeOneOf(AcmeProblem.Prefix + "dns", AcmeProblem.Prefix + "connection", AcmeProblem.Prefix + "malformed");
        failure.Which.Message.Should().Contain($"{host} does not resolve").And.Contain("A or AAAA record");
    }

    [Fact]
    public async Task An_account_is_found_again_by_its_key_and_an_unknown_key_has_none()
    {
        using var accountKey = AcmeAccountKey.Generate();
        using var first = fixture.Client(accountKey);
        (await first.FindAccountAsync(CancellationToken.None)).Should().BeNull("the CA has no account for a new key");
        var created = await first.CreateAccountAsync(["ops@example.com", "admin@example.com"], true, null, CancellationToken.None);
        created.Status.Should().Be(AcmeStatus.Valid);
        created.Contact.Should().Equal("mailto:ops@example.com", "mailto:admin@example.com");

        using var again = fixture.Client(AcmeAccountKey.FromPem(accountKey.ToPem()));
        var found = await again.FindAccountAsync(CancellationToken.None);
        found!.Url.Should().Be(created.Url);
        again.AccountUrl.Should().Be(created.Url);
    }

    [Fact]
    public async Task After_key_rollover_the_new_key_orders_and_the_old_one_has_no_account()
    {
        using var oldKey = AcmeAccountKey.Generate();
        using var newKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(oldKey);
        var accountUrl = await client.EnsureAccountAsync([], null, CancellationToken.None);

        await client.ChangeKeyAsync(newKey, CancellationToken.None);

        client.AccountKey.Should().BeSameAs(newKey);
        var host = await fixture.HostAsync("rolled");
        var issued = await client.IssueAsync([host], new TestSolver(fixture.Responder, Both), null, CancellationToken.None);
        issued.ChainPem.Should().Contain("BEGIN CERTIFICATE");

        using var withOld = fixture.Client(oldKey);
        (await withOld.FindAccountAsync(CancellationToken.None)).Should().BeNull("the old key no longer signs for the account");
        using var withNew = fixture.Client(newKey);
        (await withNew.FindAccountAsync(CancellationToken.None))!.Url.Should().Be(accountUrl);
    }

    [Fact]
    public async Task A_revoked_certificate_is_revoked_at_the_CA_and_a_new_order_for_the_name_works()
    {
        var host = await fixture.HostAsync("revoke");
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);
        await client.EnsureAccountAsync([], null, CancellationToken.None);
        var solver = new TestSolver(fixture.Responder, Both);
        var first = await client.IssueAsync([host], solver, null, CancellationToken.None);
        using var firstLeaf = X509Certificate2.CreateFromPem(first.ChainPem);
        (await fixture.Pebble.StatusOfAsync(firstLeaf)).Should().Be("Valid");

        await client.RevokeAsync(firstLeaf, AcmeRevocationReason.Superseded, null, CancellationToken.None);

        (await fixture.Pebble.StatusOfAsync(firstLeaf)).Should().Be("Revoked");
        var again = await client.Invoking(c => c.RevokeAsync(firstLeaf, null, null, CancellationToken.None)).Should().ThrowAsync<AcmeException>();
        again.Which.Is("alreadyRevoked").Should().BeTrue(again.Which.Type);

        var second = await client.IssueAsync([host], solver, first.CertificateId, CancellationToken.None);
        using var secondLeaf = X509Certificate2.CreateFromPem(second.ChainPem);
        secondLeaf.SerialNumber.Should().NotBe(firstLeaf.SerialNumber);
        secondLeaf.MatchesHostname(host).Should().BeTrue();

        // Revoked with the certificate's own key (jwk), as one would after the account is lost.
        using var certificateKey = AcmeAccountKey.FromPem(second.KeyPem);
        using var strangerKey = AcmeAccountKey.Generate();
        using var stranger = fixture.Client(strangerKey);
        await stranger.RevokeAsync(secondLeaf, AcmeRevocationReason.KeyCompromise, certificateKey, CancellationToken.None);
        (await fixture.Pebble.StatusOfAsync(secondLeaf)).Should().Be("Revoked");
    }

    private static string Body(string pem) => string.Concat(pem.Split('\n').Where(line => !line.StartsWith("-----", StringComparison.Ordinal)));
}
