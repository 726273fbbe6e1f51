using Slipway.Git;

namespace Slipway.Tests.Git;

public sealed class PushSlotsTests
{
    [Fact]
    public void One_app_holds_two_places_at_most_and_every_other_app_still_gets_one()
    {
        var slots = new PushSlots();
        using var deploying = slots.TryEnter("shop", out _);
        using var waiting = slots.TryEnter("shop", out _);

        slots.TryEnter("shop", out var refusal).Should().BeNull();
        refusal.Should().Contain("a push to shop is deploying and another is waiting");
        slots.Full("shop").Should().Be(refusal);
        slots.Full("blog").Should().BeNull("one app's pushes never take the places of another's");
        using var blog = slots.TryEnter("blog", out _);
        blog.Should().NotBeNull();

        waiting!.Dispose();
        waiting.Dispose();
        slots.Full("shop").Should().BeNull("a place left is free again, and leaving twice frees it once");
        using var next = slots.TryEnter("shop", out _);
        next.Should().NotBeNull();
        slots.TryEnter("shop", out _).Should().BeNull();
    }

    [Fact]
    public void The_platform_holds_sixteen_places_across_apps()
    {
        var slots = new PushSlots();
        var held = Enumerable.Range(0, PushSlots.MaxOpen).Select(i => slots.TryEnter($"app-{i}", out _)).ToList();
        held.Should().OnlyContain(place => place != null);

        slots.TryEnter("one-more", out var refusal).Should().BeNull();
        refusal.Should().Be("16 pushes are in progress on this platform already; push again in a minute.");

        held[3]!.Dispose();
        using var after = slots.TryEnter("one-more", out _);
        after.Should().NotBeNull();
        held.ForEach(place => place?.Dispose());
    }
}
