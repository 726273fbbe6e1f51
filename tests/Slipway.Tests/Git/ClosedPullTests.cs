using Slipway.Git;
using Slipway.Git.Forges;

namespace Slipway.Tests.Git;

public sealed class ClosedPullTests
{
    private static readonly DateTimeOffset Closed = new(2026, 12, 5, 10, 0, 0, TimeSpan.Zero);

    private static PullRequestEvent Pull(PullRequestAction action, DateTimeOffset? updatedAt) =>
        new("acme/shop", 7, action, false, "t", "a", new string('a', 40), "feature", null, "main", false, updatedAt);

    [Fact]
    public void An_update_or_reopening_from_before_the_close_is_late_and_one_after_it_is_not()
    {
        var close = new ClosedPull(Closed.AddMinutes(5), Closed);

        close.Precedes(Pull(PullRequestAction.Updated, Closed.AddSeconds(-30))).Should().BeTrue("pushed before the close, delivered after it");
        close.Precedes(Pull(PullRequestAction.Updated, Closed)).Should().BeTrue("in the close's second an update is taken as before it");
        close.Precedes(Pull(PullRequestAction.Reopened, Closed.AddHours(-1))).Should().BeTrue("an earlier reopen, delivered last");
        close.Precedes(Pull(PullRequestAction.Reopened, Closed)).Should().BeFalse("a reopen in the close's second follows it");
        close.Precedes(Pull(PullRequestAction.Reopened, Closed.AddMinutes(1))).Should().BeFalse();
        close.Precedes(Pull(PullRequestAction.Updated, Closed.AddMinutes(1))).Should().BeFalse("a newer update means it was reopened");
    }

    [Fact]
    public void A_first_opening_always_came_before_the_close_whatever_its_time()
    {
        new ClosedPull(Closed, Closed).Precedes(Pull(PullRequestAction.Opened, Closed)).Should().BeTrue("opened and closed in one second, delivered last");
        new ClosedPull(Closed, Closed).Precedes(Pull(PullRequestAction.Opened, Closed.AddMinutes(1))).Should().BeTrue();
        new ClosedPull(Closed, null).Precedes(Pull(PullRequestAction.Opened, null)).Should().BeTrue();
    }

    [Fact]
    public void Without_the_forges_times_only_a_reopen_follows_a_close()
    {
        var close = new ClosedPull(Closed, null);

        close.Precedes(Pull(PullRequestAction.Updated, Closed.AddMinutes(1))).Should().BeTrue();
        close.Precedes(Pull(PullRequestAction.Reopened, null)).Should().BeFalse();
        new ClosedPull(Closed, Closed).Precedes(Pull(PullRequestAction.Updated, null)).Should().BeTrue();
    }
}
