using System.Net;
using System.Net.Sockets;
using System.Text;
using Slipway.Monitoring.Uptime;

namespace Slipway.Tests.Monitoring.Uptime;

/// <summary>What a check may reach and what its cause may say: an app environment's own check is refused this machine
/// and private networks (at connect time), and no cause quotes what a target sent (causes are on public status pages).</summary>
public sealed class UptimeProbeTests
{
    [Fact]
    public async Task An_apps_check_cannot_reach_this_machine_and_no_cause_quotes_the_target()
    {
        using var banner = new TcpListener(IPAddress.Loopback, 0);
        banner.Start();
        var port = ((IPEndPoint)banner.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                using var client = await banner.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.6 secret-banner\r\n"));
                await Task.Delay(200);
            }
        });
        using var probe = new UptimeProbe(TimeProvider.System);

        var platformWide = await probe.CheckAsync(Check(port, app: null), CancellationToken.None);
        platformWide.Ok.Should().BeFalse();
        platformWide.Error.Should().Be("not an HTTP answer").And.NotContain("secret-banner");

        var confined = await probe.CheckAsync(Check(port, app: "shop"), CancellationToken.None);
        confined.Error.Should().Be("refused: an app's check may not reach this machine or a private network");
        var metadata = await probe.CheckAsync(Check(80, app: "shop", host: "169.254.169.254"), CancellationToken.None);
        metadata.Error.Should().StartWith("refused:");
        await Task.WhenAny(serving, Task.Delay(2000));
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("93.184.216.34", true)]
    [InlineData("2606:2800:220:1::1", true)]
    public void Only_public_addresses_are_open_to_an_apps_checks(string address, bool open) =>
        ConfinedTarget.IsPublic(IPAddress.Parse(address)).Should().Be(open);

    [Fact]
    public void A_checks_request_as_shown_drops_user_info_and_the_query()
    {
        var check = Check(8080, app: null) with { Url = "https://user:pw@api.example.com:8443/health?token=abc" };
        check.Request.Should().Be("GET https://api.example.com:8443/health?…");
    }

    private static UptimeCheck Check(int port, string? app, string host = "127.0.0.1") => new("uc-1", "probe", UptimeCheckKind.User, app,
        app is null ? null : AppRef.Of(app), $"http://{host}:{port}/", new Uri($"http://{host}:{port}/"), null, TimeSpan.FromSeconds(10),
        UptimeExpectation.Default, TimeSpan.FromSeconds(2), 99.9, false, DateTimeOffset.UtcNow);
}
