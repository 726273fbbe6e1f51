using Slipway.Offsite;

namespace Slipway.Tests.Offsite;

/// <summary>`storage rm` against copies in flight: closing a store cancels its copies, waits for them to end, shuts new
/// ones out until it is reopened, and leaves other stores alone.</summary>
public sealed class StoreUsesTests
{
    [Fact]
    public async Task Closing_a_store_cancels_its_copies_in_flight_waits_for_them_and_shuts_new_ones_out_until_reopened()
    {
        var uses = new StoreUses();
        var copy = uses.TryEnter("mine", CancellationToken.None)!;
        var other = uses.TryEnter("wide", CancellationToken.None)!;

        var closing = uses.CloseAsync("mine", CancellationToken.None);
        copy.Token.IsCancellationRequested.Should().BeTrue("a copy in flight is cancelled: an upload to a hanging store may take minutes");
        copy.Closed.Should().BeTrue();
        other.Token.IsCancellationRequested.Should().BeFalse("another store's copy goes on");
        uses.TryEnter("mine", CancellationToken.None).Should().BeNull("no new copy starts while the store is being removed");
        await uses.Invoking(u => u.CloseAsync("mine", CancellationToken.None)).Should().ThrowAsync<UserException>().WithMessage("*being removed already*");
        await Task.Delay(50);
        closing.IsCompleted.Should().BeFalse("it waits until the cancelled copy has ended (recorded nothing, deleted nothing)");

        copy.Dispose();
        using (await closing.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            uses.TryEnter("mine", CancellationToken.None).Should().BeNull();
        }
        using var again = uses.TryEnter("mine", CancellationToken.None);
        again.Should().NotBeNull("a refused removal lets copies in again");
        again!.Closed.Should().BeFalse();
        other.Dispose();
    }

    [Fact]
    public async Task A_caller_whose_own_token_ends_is_not_a_closed_store()
    {
        var uses = new StoreUses();
        using var stop = new CancellationTokenSource();
        using var copy = uses.TryEnter("mine", stop.Token)!;
        await stop.CancelAsync();
        copy.Token.IsCancellationRequested.Should().BeTrue();
        copy.Closed.Should().BeFalse("the platform stopping is not the store being removed");
        using (await uses.CloseAsync("idle", CancellationToken.None))
        {
            // A store with no copies closes at once.
        }
    }
}
