using System.Net;
using Microsoft.AspNetCore.Http;

namespace Slipway.Tests.Edge;

/// <summary>What the client receives of a response: status and headers as sent, streamed chunk by chunk, cut off when the instance cuts it off.</summary>
public sealed class ForwarderResponseTests : ForwarderTestBase
{
    [Fact]
    public async Task Response_status_and_headers_are_copied()
    {
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 201;
            context.Response.Headers["X-App-Version"] = "7";
            context.Response.Headers.Append("Set-Cookie", "a=1; Path=/");
            context.Response.Headers.Append("Set-Cookie", "b=2; Path=/");
            context.Response.Headers.CacheControl = "private, max-age=5";
            context.Response.Headers.Location = "/created/1";
            context.Response.ContentType = "text/csv; charset=utf-8";
            await context.Response.WriteAsync("x,y");
        });
        Edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));
        using var request = Edge.Request(HttpMethod.Get, "/");

        using var response = await Edge.Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        response.Headers.GetValues("X-App-Version").Should().Equal("7");
        response.Headers.GetValues("Set-Cookie").Should().Equal("a=1; Path=/", "b=2; Path=/");
        response.Headers.CacheControl!.Private.Should().BeTrue();
        response.Headers.CacheControl.MaxAge.Should().Be(TimeSpan.FromSeconds(5));
        response.Headers.Location!.OriginalString.Should().Be("/created/1");
        response.Content.Headers.ContentType!.ToString().Should().Be("text/csv; charset=utf-8");
        (await response.Content.ReadAsStringAsync()).Should().Be("x,y");
    }

    [Fact]
    public async Task A_streamed_response_reaches_the_client_chunk_by_chunk()
    {
        var firstChunkReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("data: first\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
            // The last chunk is written only after the client has the first: a buffering edge deadlocks here.
            await firstChunkReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await context.Response.WriteAsync("data: last\n\n");
        });
        Edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));
        using var request = Edge.Request(HttpMethod.Get, "/events");

        using var response = await Edge.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
        firstChunkReceived.SetResult();
        var rest = await reader.ReadToEndAsync();

        first.Should().Be("data: first");
        rest.Should().Be("\ndata: last\n\n");
    }

    [Fact]
    public async Task A_response_the_instance_cuts_off_is_cut_off_for_the_client_too()
    {
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            await context.Response.WriteAsync("partial");
            await context.Response.Body.FlushAsync();
            await Task.Delay(50);
            context.Abort();
        });
        Edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));

        using var response = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/"), HttpCompletionOption.ResponseHeadersRead);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        // A clean end of the chunked body here would pass a truncated page off as complete.
        await FluentActions.Awaiting(() => response.Content.ReadAsStringAsync()).Should().ThrowAsync<HttpRequestException>();
    }
}
