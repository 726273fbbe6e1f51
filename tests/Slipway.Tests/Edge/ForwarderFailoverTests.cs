using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Slipway.Runtime;

namespace Slipway.Tests.Edge;

/// <summary>An instance that drops or refuses connections: a GET is retried on another, a POST is never sent twice, and with none left the answer is 503.</summary>
public sealed class ForwarderFailoverTests : ForwarderTestBase
{
    [Fact]
    public async Task A_get_whose_instance_drops_the_connection_before_answering_is_retried_on_another()
    {
        var dropped = 0;
        await using var dying = await LoopbackServer.StartAsync(context =>
        {
            Interlocked.Increment(ref dropped);
            context.Abort();
            return Task.CompletedTask;
        });
        var dyingEndpoint = EdgeUnderTest.Healthy(dying.Port);
        Edge.RouteShopTo(dyingEndpoint, EchoEndpoint);

        for (var i = 0; i < 2; i++)
        {
            using var response = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        dropped.Should().Be(1, "the dying instance got one request, then left the rotation");
        dyingEndpoint.Healthy.Should().BeFalse();
    }

    [Fact]
    public async Task A_post_whose_instance_drops_the_connection_is_not_sent_twice()
    {
        var dropped = 0;
        await using var dying = await LoopbackServer.StartAsync(async context =>
        {
            Interlocked.Increment(ref dropped);
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Abort();
        });
        Edge.RouteShopTo(EdgeUnderTest.Healthy(dying.Port), EchoEndpoint);
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 2; i++)
        {
            using var request = Edge.Request(HttpMethod.Post, "/orders");
            request.Content = new StringContent("buy one");
            using var response = await Edge.Http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        dropped.Should().Be(1);
        statuses.Should().BeEquivalentTo([HttpStatusCode.OK, HttpStatusCode.BadGateway], "the POST the instance lost is answered 502, not replayed");
        EchoEndpoint.Requests.Should().Be(1);
    }

    [Fact]
    public async Task Without_a_healthy_instance_the_answer_is_503()
    {
        EchoEndpoint.Healthy = false;

        using var response = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/"));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.CacheControl!.NoStore.Should().BeTrue();
        EchoEndpoint.Requests.Should().Be(0);
    }

    [Fact]
    public async Task A_get_to_an_instance_that_refuses_connections_is_retried_on_another()
    {
        var refusing = new InstanceEndpoint("i-dead", ClosedPort()) { Healthy = true };
        Edge.RouteShopTo(refusing, EchoEndpoint);

        // Round robin: two requests in a row try both instances first, so one of them starts at the dead one.
        for (var i = 0; i < 4; i++)
        {
            using var response = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, $"/try/{i}"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        refusing.Requests.Should().BeGreaterThan(0, "the dead instance was tried");
        refusing.Healthy.Should().BeFalse("an instance that refuses connections leaves the rotation");
        EchoEndpoint.Requests.Should().Be(4);
    }

    [Fact]
    public async Task When_the_only_instance_refuses_connections_the_answer_is_503_and_it_leaves_the_rotation()
    {
        var refusing = new InstanceEndpoint("i-dead", ClosedPort()) { Healthy = true };
        Edge.RouteShopTo(refusing);

        using var response = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/"));

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        refusing.Healthy.Should().BeFalse();
    }

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
