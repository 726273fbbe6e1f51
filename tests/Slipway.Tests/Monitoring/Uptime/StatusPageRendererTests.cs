using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Slipway.Monitoring.StatusPages;
using Slipway.Monitoring.Uptime;

namespace Slipway.Tests.Monitoring.Uptime;

public sealed class StatusPageRendererTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_page_has_no_script_encodes_what_users_wrote_and_its_style_matches_its_policy()
    {
        var days = Availability.Days([new Downtime(Now.AddHours(-2), null)], Now.AddDays(-10), Now);
        var page = new StatusPageModel("Acme <status>", Now, OverallStatus.Partial,
            [new ComponentModel("shop", ComponentStatus.Down, 99.5, days), new ComponentModel("api", ComponentStatus.Operational, 100, days)],
            [new IncidentModel("inc-1", "shop", "shop: down (GET http://shop.localhost/)", Now.AddHours(-2), null, "HTTP 503",
                false, [new IncidentNote(1, "inc-1", Now.AddMinutes(-30), "<script>alert(1)</script> & we are on it", 0, "ann")])],
            []);

        var html = StatusPageRenderer.Render(page);

        html.Should().NotContainEquivalentOf("<script").And.Contain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; we are on it")
            .And.Contain("<title>Acme &lt;status&gt;</title>").And.Contain("Partial outage").And.Contain("No incidents in the last 14 days.")
            .And.Contain("<time datetime=\"2026-12-04T09:30:00Z\">2026-12-04 09:30 UTC</time>").And.Contain("(2h 0m so far)");
        Regex.Count(html, "<li class=\"d-").Should().Be(180, "90 days for each of the two components");
        html.Should().Contain("title=\"2026-11-20: no data\"").And.Contain("class=\"d-nodata\"").And.Contain("class=\"d-major\"");
        var style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        StatusPageRenderer.ContentSecurityPolicy.Should().StartWith("default-src 'none'; style-src 'sha256-" +
            Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(style))) + "'");
        StatusPageRenderer.ContentSecurityPolicy.Should().NotContain("script-src");
    }
}
