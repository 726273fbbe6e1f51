using Slipway.Dashboard;

namespace Slipway.Tests.Dashboard;

/// <summary>How the data pages print sizes, times to come and states, and the element ids they make of names.</summary>
public sealed class DataPagesLogicTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, "")]
    [InlineData(2048L, "2.0 kB")]
    [InlineData(7_700_000L, "7.3 MB")]
    [InlineData(3L * 1024 * 1024 * 1024, "3.00 GB")]
    public void Sizes_read_as_the_cli_prints_them(long? bytes, string expected) => DataPages.Size(bytes).Should().Be(expected);

    [Theory]
    [InlineData(-5, "due now")]
    [InlineData(30, "in 30 s")]
    [InlineData(90, "in 1 min")]
    [InlineData(3 * 3600 + 5, "in 3 h")]
    [InlineData(50 * 3600, "in 2 d")]
    public void A_time_to_come_reads_as_a_wait(int seconds, string expected) => When.Until(Now.AddSeconds(seconds), Now).Should().Be(expected);

    [Theory]
    [InlineData("verified", "good")]
    [InlineData("succeeded", "good")]
    [InlineData("failed", "bad")]
    [InlineData("dead", "bad")]
    [InlineData("timed-out", "bad")]
    [InlineData("running", "busy")]
    [InlineData("pending", "busy")]
    [InlineData("skipped", "idle")]
    public void Each_state_has_a_badge(string status, string kind) => DataPages.Badge(status).Should().Be(kind);

    [Fact]
    public void Ids_keep_letters_and_digits_only() =>
        DataPages.IdOf("shop", "pr-12", "nightly.report_1").Should().Be("shop--pr-12--nightly-report-1");
}
