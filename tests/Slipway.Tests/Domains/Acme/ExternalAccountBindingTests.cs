using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

/// <summary>Account creation at a CA that requires External Account Binding (Pebble with externalAccountBindingRequired).</summary>
public sealed class ExternalAccountBindingTests(EabPebbleFixture fixture) : IClassFixture<EabPebbleFixture>
{
    [Fact]
    public async Task With_the_CAs_key_id_and_HMAC_key_the_account_is_created_and_can_order()
    {
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);
        (await client.DirectoryAsync(CancellationToken.None)).ExternalAccountRequired.Should().BeTrue();

        var account = await client.CreateAccountAsync(["ops@example.com"], true,
            new AcmeExternalAccountBinding(EabPebbleFixture.KeyId, EabPebbleFixture.HmacKey), CancellationToken.None);

        account.Status.Should().Be(AcmeStatus.Valid);
        var host = await fixture.HostAsync("eab");
        var issued = await client.IssueAsync([host], new TestSolver(fixture.Responder, AcmeChallenge.Http01), null, CancellationToken.None);
        issued.ChainPem.Should().Contain("BEGIN CERTIFICATE");
    }

    [Fact]
    public async Task Without_a_binding_the_account_is_refused_with_what_to_set()
    {
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);

        var failure = await client.Invoking(c => c.CreateAccountAsync([], true, null, CancellationToken.None)).Should().ThrowAsync<AcmeException>();

        failure.Which.Is("externalAccountRequired").Should().BeTrue(failure.Which.Type);
        failure.Which.Message.Should().Contain("requires External Account Binding").And.Contain("--eab-kid");
        client.AccountUrl.Should().BeNull();
    }

    [Fact]
    public async Task A_wrong_HMAC_key_is_refused_and_the_key_is_not_in_the_message()
    {
        using var accountKey = AcmeAccountKey.Generate();
        using var client = fixture.Client(accountKey);
        const string wrongKey = "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH";

        var failure = await client.Invoking(c => c.CreateAccountAsync([], true, new AcmeExternalAccountBinding(EabPebbleFixture.KeyId, wrongKey), CancellationToken.None))
            .Should().ThrowAsync<AcmeException>();

        failure.Which.Status.Should().NotBeNull();
        ((int)failure.Which.Status!).Should().BeInRange(400, 499);
        failure.Which.Message.Should().Contain("refused the External Account Binding").And.Contain("--eab-kid")
            .And.NotContain(wrongKey).And.NotContain(EabPebbleFixture.HmacKey);
        new AcmeExternalAccountBinding(EabPebbleFixture.KeyId, wrongKey).ToString().Should().NotContain(wrongKey);
    }
}
