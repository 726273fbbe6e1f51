using Slipway.Monitoring;

namespace Slipway.Tests.Monitoring;

/// <summary>What `drains add` accepts, every mistake at once, and how a destination is shown: never a secret.</summary>
public sealed class DrainSpecTests
{
    private static readonly AppRef Shop = AppRef.Of("shop");

    [Fact]
    public void Every_mistake_is_reported_at_once_without_repeating_a_secret()
    {
        var parse = () => DrainSpec.Parse("Logs!", Shop, "http://user:hunter22@logs.example.com/ingest/tok-1234", null,
            ["Authorization Bearer sk-live-9876", "X-Ok: fine", "Content-Type: text/plain"], false, false, "not a pem");

        var message = parse.Should().Throw<UserException>().Which.Message;
        message.Should().Contain("The drain name 'Logs!' cannot be used")
            .And.Contain("must use https://").And.Contain("127.0.0.1 or localhost")
            .And.Contain("--header number 1 must read 'Name: value'")
            .And.Contain("--header Content-Type is set by Slipway")
            .And.Contain("--ca holds no certificate");
        message.Should().NotContain("hunter22").And.NotContain("tok-1234").And.NotContain("sk-live-9876");
        message.Should().Contain("http://***@logs.example.com/***");
    }

    [Theory]
    [InlineData(null, null, "Give one destination")]
    [InlineData("https://a.example.com", "tls://b.example.com:6514", "Give one destination")]
    [InlineData("ftp://a.example.com/x", null, "--url must be an absolute https:// URL")]
    [InlineData("logs.example.com", null, "--url must be an absolute https:// URL")]
    [InlineData(null, "udp://b.example.com:514", "--syslog must be tls://HOST:PORT")]
    [InlineData(null, "tls://b.example.com", "needs a port: tls://b.example.com:6514")]
    [InlineData(null, "tcp://b.example.com:601/path", "takes HOST:PORT only")]
    public void A_destination_must_be_one_https_URL_or_one_syslog_address(string? url, string? syslog, string error)
    {
        var parse = () => DrainSpec.Parse("logs", Shop, url, syslog, [], false, false, null);

        parse.Should().Throw<UserException>().WithMessage($"*{error}*");
    }

    [Fact]
    public void Headers_and_gzip_belong_to_HTTPS_drains()
    {
        var parse = () => DrainSpec.Parse("logs", Shop, null, "tls://b.example.com:6514", ["Authorization: Bearer x1234"], false, true, null);

        parse.Should().Throw<UserException>().WithMessage("*--header is for --url drains*--gzip is for --url drains*");
    }

    [Fact]
    public void Plain_http_is_accepted_on_loopback_only()
    {
        DrainSpec.Parse("local", Shop, "http://127.0.0.1:9000/ingest", null, [], false, false, null).Url.IsLoopback.Should().BeTrue();
        DrainSpec.Parse("local", Shop, "http://localhost:9000/ingest", null, [], false, false, null).Kind.Should().Be(DrainKind.Https);
    }

    [Theory]
    [InlineData("https://logs.example.com", "https://logs.example.com")]
    [InlineData("https://logs.example.com/", "https://logs.example.com")]
    [InlineData("https://logs.example.com:8443/v1/input/KEY123?x=1", "https://logs.example.com:8443/***")]
    [InlineData("https://user:pass@logs.example.com/", "https://***@logs.example.com")]
    [InlineData("tls://syslog.example.com:6514", "tls://syslog.example.com:6514")]
    public void A_destination_shows_scheme_host_and_port_only(string url, string shown)
    {
        DrainSpec.Mask(new Uri(url)).Should().Be(shown);
    }

    [Fact]
    public void Headers_are_shown_by_name()
    {
        var spec = DrainSpec.Parse("logs", Shop, "https://logs.example.com/in", null, ["Authorization: Bearer abc123", "X-Team:ops"], true, true, null);

        spec.Headers.Should().Equal(new DrainHeader("Authorization", "Bearer abc123"), new DrainHeader("X-Team", "ops"));
        spec.Headers.Select(h => h.Masked).Should().Equal("Authorization: ***", "X-Team: ***");
    }
}
