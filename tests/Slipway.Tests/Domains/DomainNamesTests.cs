using System.Net;
using Slipway.Domains;

namespace Slipway.Tests.Domains;

public sealed class DomainNamesTests
{
    [Theory]
    [InlineData("Shop.Example.COM.", "shop.example.com")]
    [InlineData(" api.shop-1.example.co.uk ", "api.shop-1.example.co.uk")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    public void A_public_name_is_kept_lowercase_without_its_trailing_dot(string input, string expected) =>
        DomainNames.Normalize(input, "slipway.example.com").Should().Be(expected);

    [Theory]
    [InlineData("203.0.113.7", "is an IP address")]
    [InlineData("[2001:db8::1]", "is an IP address")]
    [InlineData("*.example.com", "DNS-01")]
    [InlineData("https://shop.example.com/", "is a URL")]
    [InlineData("shop.example.com:8443", "has a port")]
    [InlineData("shop.localhost", "development CA")]
    [InlineData("shop", "at least one dot")]
    [InlineData("-shop.example.com", "not a valid domain name")]
    [InlineData("shop_1.example.com", "not a valid domain name")]
    [InlineData("slipway.example.com", "platform's own hostname")]
    public void What_a_ca_cannot_issue_for_is_refused_with_the_reason(string input, string reason) =>
        FluentActions.Invoking(() => DomainNames.Normalize(input, "slipway.example.com"))
            .Should().Throw<UserException>().WithMessage($"*{reason}*");

    [Fact]
    public async Task Check_says_here_for_a_name_on_this_machine_and_elsewhere_or_unknown_by_the_machines_own_addresses()
    {
        var here = await DomainCheck.RunAsync("localhost", CancellationToken.None);
        here.Verdict.Should().Be("here", "localhost resolves to a loopback address, which is this machine's: {0}", here.Message);

        Task<IPAddress[]> Resolve(string _, CancellationToken __) => Task.FromResult(new[] { IPAddress.Parse("203.0.113.9") });
        var publicMachine = await DomainCheck.RunAsync("shop.example.com", CancellationToken.None, Resolve,
            [IPAddress.Parse("198.51.100.4"), IPAddress.Loopback]);
        publicMachine.Verdict.Should().Be("elsewhere");
        publicMachine.Message.Should().Contain("203.0.113.9").And.Contain("198.51.100.4");

        var behindNat = await DomainCheck.RunAsync("shop.example.com", CancellationToken.None, Resolve, [IPAddress.Parse("10.0.0.5")]);
        behindNat.Verdict.Should().Be("unknown");
        behindNat.Message.Should().Contain("cannot be told from here");

        Task<IPAddress[]> Missing(string _, CancellationToken __) => throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
        var missing = await DomainCheck.RunAsync("shop.example.com", CancellationToken.None, Missing, [IPAddress.Parse("198.51.100.4")]);
        missing.Verdict.Should().Be("unresolved");
        missing.Message.Should().Contain("Add an A record").And.Contain("198.51.100.4");
    }
}
