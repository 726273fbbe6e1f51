using System.Net;
using Slipway.Tests.Support;

namespace Slipway.Tests.Deploy;

[Collection("platform-2")]
public sealed class SourceSafetyTests
{
    [Fact]
    public async Task A_symlink_out_of_the_source_is_refused_and_one_inside_it_is_kept()
    {
        await using var platform = await TestPlatform.StartAsync();
        var site = TempDirs.Create("site");
        File.WriteAllText(Path.Combine(site, "index.html"), "<h1>home</h1>");
        Directory.CreateDirectory(Path.Combine(site, "docs"));
        File.WriteAllText(Path.Combine(site, "docs", "guide.html"), "<p>guide</p>");
        File.CreateSymbolicLink(Path.Combine(site, "manual.html"), "docs/guide.html");
        var ok = await platform.DeployAsync(site, "linked");
        ok.ExitCode.Should().Be(0, ok.ToString());
        using (var inside = await platform.GetAsync("linked", "/manual.html"))
        {
            (await inside.Content.ReadAsStringAsync()).Should().Be("<p>guide</p>");
        }

        File.CreateSymbolicLink(Path.Combine(site, "token.txt"), Path.Combine(platform.DataDir, "api-token"));
        var refused = await platform.DeployAsync(site, "linked");
        refused.ExitCode.Should().Be(1);
        refused.Err.Should().Contain("token.txt").And.Contain("outside the app's source");
        using var leak = await platform.GetAsync("linked", "/token.txt");
        leak.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await leak.Content.ReadAsStringAsync()).Should().NotContain("slp_");
    }

    [Fact]
    public async Task The_data_directory_is_private_even_when_it_already_existed()
    {
        var dataDir = TempDirs.Create("premade");
        File.SetUnixFileMode(dataDir, (UnixFileMode)0b111_101_101);
        await using var platform = await TestPlatform.StartAsync(dataDir: dataDir);
        File.GetUnixFileMode(dataDir).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
