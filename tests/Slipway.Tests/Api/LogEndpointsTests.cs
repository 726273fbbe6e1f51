using Slipway.Api;
using Slipway.Runtime;
using Slipway.Tests.Support;

namespace Slipway.Tests;

/// <summary>The /logs endpoint's parameters: what they mean, and the error for each one a user can get wrong.</summary>
public sealed class LogEndpointsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_query_the_user_got_wrong_is_an_error_that_says_what_to_do()
    {
        var clock = new ManualClock(T0);
        LogEndpoints.Query("1h", "10m", "warn", "x", false, null, clock).Should().BeEquivalentTo(new
        {
            Since = T0.AddHours(-1), Until = T0.AddMinutes(-10), Level = LogSeverity.Warn,
        });
        LogEndpoints.Query(null, "2026-01-02T02:00:00Z", null, null, false, null, clock).Until.Should().Be(T0.AddHours(-1));

        var invalid = () => LogEndpoints.Query(null, null, null, "(oops", false, null, clock);
        invalid.Should().Throw<UserException>().WithMessage("--grep '(oops' is not a valid regular expression*");
        var level = () => LogEndpoints.Query(null, null, "loud", null, false, null, clock);
        level.Should().Throw<UserException>().WithMessage("--level 'loud' is not a level: use one of trace, debug, info, warn, error, fatal*");
        var until = () => LogEndpoints.Query(null, "yesterday", null, null, false, null, clock);
        until.Should().Throw<UserException>().WithMessage("--until 'yesterday' is neither a duration*");
        var backwards = () => LogEndpoints.Query("10m", "1h", null, null, false, null, clock);
        backwards.Should().Throw<UserException>().WithMessage("--since '10m' is after --until '1h'*Swap them.");
    }
}
