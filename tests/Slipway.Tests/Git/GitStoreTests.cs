using Slipway.Git;
using Slipway.Git.Forges;
using Slipway.State;
using Slipway.Tests.Support;

namespace Slipway.Tests.Git;

/// <summary>What the platform remembers of a repository's pull requests (closes, the newest update taken) lasts a week,
/// and goes with the remote or when another repository is connected, whose pull requests reuse the numbers.</summary>
public sealed class GitStoreTests
{
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    [Fact]
    public void Closes_and_updates_are_kept_a_week_and_go_with_the_repository()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero));
        var store = new GitStore(new Store(Path.Combine(TempDirs.Create("git-store"), "slipway.db"), clock), clock);
        store.Upsert("shop", allowForce: false, []);
        var github = new ForgeLink(Forge.Github, "https://github.com/acme/shop.git", "secret", null, null);
        store.Connect("shop", github);

        store.MarkClosed("shop", 7, clock.GetUtcNow(), clock.GetUtcNow(), Week);
        store.NotePullSeen("shop", 8, clock.GetUtcNow(), reopened: true, Week);
        store.FindClosed("shop", 7, Week).Should().NotBeNull();
        store.PullSeen("shop", 8, Week).Should().Be(new SeenPull(clock.GetUtcNow(), true));
        store.NotePullSeen("shop", 8, clock.GetUtcNow().AddSeconds(-5), reopened: false, Week);
        store.PullSeen("shop", 8, Week)!.UpdatedAt.Should().Be(clock.GetUtcNow(), "an older time never replaces a newer one");

        clock.Advance(TimeSpan.FromDays(8));
        store.FindClosed("shop", 7, Week).Should().BeNull("a week old: forges have stopped retrying by then");
        store.PullSeen("shop", 8, Week).Should().BeNull();

        store.MarkClosed("shop", 7, clock.GetUtcNow(), null, Week);
        store.NotePullSeen("shop", 8, clock.GetUtcNow(), reopened: false, Week);
        store.Connect("shop", github with { WebhookSecretEnc = "rotated" });
        store.FindClosed("shop", 7, Week).Should().NotBeNull("the same repository, connected again");
        store.Connect("shop", github with { RepoUrl = "https://github.com/acme/shop-next.git" });
        store.FindClosed("shop", 7, Week).Should().BeNull("another repository's #7 is another pull request");
        store.PullSeen("shop", 8, Week).Should().BeNull();

        store.MarkClosed("shop", 9, clock.GetUtcNow(), null, Week);
        store.Delete("shop").Should().BeTrue();
        store.Upsert("shop", allowForce: false, []);
        store.FindClosed("shop", 9, Week).Should().BeNull("the remote went, and what it knew with it");
    }
}
