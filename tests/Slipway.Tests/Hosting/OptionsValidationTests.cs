using Slipway.Hosting;
using Slipway.Tests.Support;

namespace Slipway.Tests.Hosting;

/// <summary>A flag that cannot work stops the platform before it starts, with a message naming the flag, and
/// leaves the data directory free for the corrected start.</summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly string _data = TempDirs.Create("options");

    [Fact]
    public async Task Keep_builds_of_zero_refuses_to_start_and_names_the_flag()
    {
        var start = () => TestPlatform.StartAsync(keepBuilds: -1, dataDir: _data);

        (await start.Should().ThrowAsync<UserException>()).Which.Message
            .Should().StartWith("Cannot start:").And.Contain("--keep-builds");
        using var free = DataDirectory.Acquire(_data);
    }

    [Fact]
    public void Every_bad_flag_is_reported_at_once()
    {
        var options = new PlatformOptions
        {
            DataDir = _data,
            HttpPort = 18080,
            HttpsPort = 18080,
            WarmWindow = TimeSpan.FromMinutes(-1),
            HttpAddress = "localhost",
        };

        var build = () => PlatformHost.Build(options);

        build.Should().Throw<UserException>().Which.Message
            .Should().Contain("--https-port must differ from --http-port")
            .And.Contain("--warm-window cannot be negative")
            .And.Contain("--listen must be an IP address");
        using var free = DataDirectory.Acquire(_data);
    }

    public void Dispose()
    {
        TempDirs.Delete(_data);
        TempDirs.Delete(_data + "-db");
    }
}
