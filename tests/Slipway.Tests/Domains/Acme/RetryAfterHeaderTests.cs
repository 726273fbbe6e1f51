using Slipway.Domains.Acme;

namespace Slipway.Tests.Domains.Acme;

public sealed class RetryAfterHeaderTests
{
    private static readonly DateTimeOffset Now = new(1994, 11, 6, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 0 ", 0)]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 49 * 60 + 37)]       // IMF-fixdate
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT", 49 * 60 + 37)]      // RFC 850
    [InlineData("Sun Nov  6 08:49:37 1994", 49 * 60 + 37)]            // asctime
    [InlineData("Sun, 06 Nov 1994 07:00:00 GMT", 0)]                  // already past: now
    public void Seconds_and_every_HTTP_date_form_are_read(string value, int seconds)
    {
        RetryAfterHeader.Parse(value, Now).Should().Be(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5")]
    public void What_is_not_a_time_is_no_time(string? value)
    {
        RetryAfterHeader.Parse(value, Now).Should().BeNull();
    }

    [Fact]
    public void An_absurd_wait_is_capped_at_a_year_instead_of_overflowing()
    {
        RetryAfterHeader.Parse("99999999999999999999999", Now).Should().Be(RetryAfterHeader.Longest);
        RetryAfterHeader.Parse("Fri, 01 Jan 2100 00:00:00 GMT", Now).Should().Be(RetryAfterHeader.Longest);
    }
}
