namespace Slipway.Tests;

/// <summary>One holder per key at a time, and no gate kept for a key nobody holds or waits for.</summary>
public sealed class KeyedTurnsTests
{
    [Fact]
    public async Task A_key_is_held_by_one_at_a_time_other_keys_go_on_and_no_gate_is_left_behind()
    {
        var turns = new KeyedTurns<(string, long)>();
        var first = await turns.TakeAsync(("shop", 1));
        var second = turns.TakeAsync(("shop", 1));
        var other = await turns.TakeAsync(("shop", 2)).WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        second.IsCompleted.Should().BeFalse("#1's turn is taken");
        turns.Count.Should().Be(2);

        first.Dispose();
        first.Dispose(); // a second dispose gives nothing back twice
        using (await second.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            turns.Count.Should().Be(2);
        }
        other.Dispose();
        turns.Count.Should().Be(0);

        using var cancel = new CancellationTokenSource();
        var held = await turns.TakeAsync(("shop", 3));
        var waiting = turns.TakeAsync(("shop", 3), cancel.Token);
        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        held.Dispose();
        turns.Count.Should().Be(0, "a waiter that gave up leaves nothing either");
    }

    [Fact]
    public async Task Turns_of_one_key_are_given_in_the_order_they_were_asked_for()
    {
        // Previews rely on it: a pull request's work runs in the order its deliveries were taken.
        var turns = new KeyedTurns<string>();
        var held = await turns.TakeAsync("pr");
        var order = new List<int>();
        var asked = Enumerable.Range(0, 20).Select(i => (Index: i, Turn: turns.TakeAsync("pr"))).ToList();
        var done = asked.Select(a => Task.Run(async () =>
        {
            using (await a.Turn)
            {
                lock (order)
                {
                    order.Add(a.Index);
                }
                await Task.Delay(1);
            }
        })).ToList();

        held.Dispose();
        await Task.WhenAll(done).WaitAsync(TimeSpan.FromSeconds(10));

        order.Should().Equal(Enumerable.Range(0, 20));
    }
}
