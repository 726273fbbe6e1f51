using Slipway.Dashboard;

namespace Slipway.Tests.Dashboard;

/// <summary>Where the login form sends a browser afterwards: only a path of this site, so a link to /login cannot
/// send a user who signs in to another site.</summary>
public sealed class LocalPathTests
{
    [Theory]
    [InlineData("/apps/shop?env=staging", "/apps/shop?env=staging")]
    [InlineData("/", "/")]
    [InlineData(null, "/")]
    [InlineData("", "/")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("apps/shop", "/")]
    [InlineData("/\t/evil.example", "/")]
    [InlineData("/\n/evil.example", "/")]
    [InlineData("/\r\n//evil", "/")]
    [InlineData("/%2F/evil.example", "/%2F/evil.example")]
    [InlineData("/apps/../login", "/login")]
    public void Only_a_local_path_is_kept(string? next, string expected) =>
        DashboardEndpoints.LocalPath(next).Should().Be(expected);
}
