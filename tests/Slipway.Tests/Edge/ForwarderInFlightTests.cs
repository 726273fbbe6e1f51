using Microsoft.AspNetCore.Http;

namespace Slipway.Tests.Edge;

/// <summary>The per-instance in-flight count that draining waits on.</summary>
public sealed class ForwarderInFlightTests : ForwarderTestBase
{
    [Fact]
    public async Task In_flight_counts_a_request_while_it_runs_and_drops_back_to_zero()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await LoopbackServer.StartAsync(async context =>
        {
            await release.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await context.Response.WriteAsync("done");
        });
        var endpoint = EdgeUnderTest.Healthy(slow.Port);
        Edge.RouteShopTo(endpoint);

        var pending = Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/slow"));
        await Eventually(() => endpoint.InFlight == 1);
        release.SetResult();
        using var response = await pending;

        (await response.Content.ReadAsStringAsync()).Should().Be("done");
        await Eventually(() => endpoint.InFlight == 0);
        endpoint.Requests.Should().Be(1);
    }

    [Fact]
    public async Task In_flight_drops_back_to_zero_when_the_client_gives_up()
    {
        var destinationAborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await LoopbackServer.StartAsync(async context =>
        {
            context.RequestAborted.Register(() => destinationAborted.TrySetResult());
            await destinationAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        });
        var endpoint = EdgeUnderTest.Healthy(slow.Port);
        Edge.RouteShopTo(endpoint);
        using var cancel = new CancellationTokenSource();

        var pending = Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/slow"), cancel.Token);
        await Eventually(() => endpoint.InFlight == 1);
        await cancel.CancelAsync();

        await FluentActions.Awaiting(() => pending).Should().ThrowAsync<OperationCanceledException>();
        await destinationAborted.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await Eventually(() => endpoint.InFlight == 0);
        endpoint.Healthy.Should().BeTrue("a client that leaves says nothing about the instance");
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within 5 s");
            await Task.Delay(10);
        }
    }
}
