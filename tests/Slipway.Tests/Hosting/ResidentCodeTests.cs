using Slipway.Hosting;

namespace Slipway.Tests.Hosting;

public sealed class ResidentCodeTests
{
    [Theory]
    [InlineData("7f12a4c00000-7f12a4e00000 r-xp 00010000 fd:01 1234567                    /opt/slipway/slipway", true)]
    [InlineData("7f12a4c00000-7f12a4e00000 r--p 00000000 fd:01 1234567   /usr/lib/x86_64-linux-gnu/libc.so.6", true)]
    [InlineData("7f12a4c00000-7f12a4e00000 rw-p 00010000 fd:01 1234567   /opt/slipway/slipway", false)] // written: may be dirty
    [InlineData("7f12a4c00000-7f12a4e00000 r-xs 00000000 00:01 4242      /memfd:doublemapper (deleted)", false)] // shared JIT code
    [InlineData("7f12a4c00000-7f12a4e00000 rw-p 00000000 00:00 0", false)] // anonymous
    [InlineData("556847aa5000-556847f3c000 rw-p 00000000 00:00 0         [heap]", false)]
    [InlineData("7ffd1c000000-7ffd1c021000 r--p 00000000 00:00 0         [vvar]", false)]
    [InlineData("7f12a4c00000-7f12a4e00000 r-xp 00010000 fd:01 1234567   /opt/slipway/slipway.old (deleted)", false)]
    [InlineData("garbage", false)]
    public void Only_private_read_only_mappings_of_files_are_handed_back(string line, bool advised) =>
        ResidentCode.Parse(line).HasValue.Should().Be(advised);

    [Fact]
    public void The_ranges_are_read_from_the_line() =>
        ResidentCode.Parse("7f12a4c00000-7f12a4e00000 r-xp 00010000 fd:01 1234567   /opt/slipway/slipway")
            .Should().Be((0x7f12a4c00000UL, 0x7f12a4e00000UL));

    [Fact]
    public void This_process_has_read_only_file_mappings_the_kernel_accepts_advice_on()
    {
        // The test process's own executable and libraries: marking them random-access is harmless to it.
        var (mappings, bytes) = ResidentCode.Advise(pageOut: false);
        mappings.Should().BeGreaterThan(5);
        bytes.Should().BeGreaterThan(1024 * 1024);
    }
}
