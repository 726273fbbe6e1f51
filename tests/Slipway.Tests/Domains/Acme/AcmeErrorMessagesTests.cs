using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

public sealed class AcmeErrorMessagesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);

    private static AcmeProblem Problem(string type, string detail, string? identifier = null, params AcmeProblem[] subproblems) =>
        new(AcmeProblem.Prefix + type, detail, 400, identifier, subproblems);

    [Theory]
    [InlineData("dns", "DNS problem: NXDOMAIN looking up A for shop.example", "shop.example does not resolve for the CA. Point an A or AAAA record of shop.example at this machine")]
    [InlineData("caa", "CAA record for shop.example prevents issuance", "a CAA record of shop.example forbids this CA to issue for it. Add a CAA record allowing this CA")]
    [InlineData("connection", "Timeout during connect (likely firewall problem)", "the CA could not reach port 80/443 of this machine for shop.example. Check the firewall")]
    [InlineData("connection", "Get \"http://shop.example/x\": could not resolve URL", "shop.example does not resolve for the CA")]
    [InlineData("malformed", "Could not resolve URL \"shop.example\"", "shop.example does not resolve for the CA")]
    [InlineData("unauthorized", "Invalid response from http://shop.example/.well-known/acme-challenge/x: 404", "the answer the CA fetched for shop.example was not this machine's")]
    [InlineData("tls", "remote error: tls: handshake failure", "TLS connection to port 443 of this machine for shop.example failed")]
    public void Validation_failures_name_the_cause_and_the_fix_and_quote_the_CA(string type, string detail, string expected)
    {
        var message = AcmeErrorMessages.Describe("validating shop.example by http-01", Problem(type, detail), "shop.example", null, Now);

        message.Should().StartWith("ACME: validating shop.example by http-01 failed: ").And.Contain(expected).And.EndWith($"(the CA said: {detail})");
    }

    [Fact]
    public void A_refused_binding_says_to_set_the_EAB_credentials_again_and_other_refusals_do_not()
    {
        AcmeErrorMessages.Describe("registering an account", Problem("unauthorized", "external account binding JWS verification error"), null, null, Now)
            .Should().Contain("refused the External Account Binding").And.Contain("--eab-kid");
        AcmeErrorMessages.Describe("registering an account", Problem("unauthorized", "account is deactivated"), null, null, Now)
            .Should().NotContain("refused the External Account Binding").And.Contain("refused this account");
    }

    [Fact]
    public void A_rate_limit_says_when_to_retry()
    {
        var message = AcmeErrorMessages.Describe("ordering a certificate for shop.example", Problem("rateLimited", "too many new orders"), null, TimeSpan.FromMinutes(90), Now);

        message.Should().Contain("rate limit is reached; retry after 2026-12-04T11:30:00.000Z (in 1h30m).");
        AcmeErrorMessages.Describe("ordering", Problem("rateLimited", "x"), null, null, Now).Should().Contain("retry later (the CA gave no time)");
    }

    [Fact]
    public void Each_subproblem_is_described_for_its_own_name()
    {
        var problem = Problem("compound", "several problems",
            null, Problem("caa", "CAA forbids", "a.example"), Problem("dns", "NXDOMAIN", "b.example"));

        var message = AcmeErrorMessages.Describe("ordering a certificate for a.example, b.example", problem, null, null, Now);

        message.Should().Contain("a CAA record of a.example forbids").And.Contain("b.example does not resolve");
    }

    [Fact]
    public void An_unreachable_CA_is_named_by_its_directory_with_what_failed()
    {
        AcmeErrorMessages.Unreachable(new Uri("https://acme.example/directory"), "its host name does not resolve")
            .Should().Be("ACME: the CA at https://acme.example/directory could not be reached: its host name does not resolve. " +
                "Check the directory URL (slipway acme set --directory) and that this machine can open HTTPS connections to it; nothing that is served stops meanwhile.");
    }
}
