using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Slipway.Tests.Edge;

/// <summary>What the instance receives of a request: the raw target, the method and the whole body, streamed as it arrives.</summary>
public sealed class ForwarderRequestTests : ForwarderTestBase
{
    [Theory]
    [InlineData("/a%2Fb%20c/caf%C3%A9?q=x%26y&z=%C3%A9&flag&empty=")]
    [InlineData("/search?q=a+b&q=%2B&list=1,2,3&path=%2Fetc%2F")]
    [InlineData("/files/a%3Fb%23c")]
    [InlineData("/?")]
    public async Task Path_and_query_are_forwarded_raw(string target)
    {
        var response = await RawHttp.SendAsync(Edge.Port, $"GET {target} HTTP/1.1", "Host: shop.localhost");

        response.Status.Should().Be(200);
        Parse(response.Body).Target.Should().Be(target);
    }

    [Theory]
    [InlineData("/%7Euser/%41BC")]
    [InlineData("/sig/a%2d%5Fb?x=%7E")]
    public async Task Percent_encoded_unreserved_characters_are_forwarded_as_sent(string target)
    {
        var response = await RawHttp.SendAsync(Edge.Port, $"GET {target} HTTP/1.1", "Host: shop.localhost");

        Parse(response.Body).Target.Should().Be(target);
    }

    [Fact]
    public async Task A_post_body_is_forwarded_whole_with_its_method()
    {
        var body = RandomNumberGenerator.GetHexString(1 << 20);
        using var request = Edge.Request(HttpMethod.Post, "/upload");
        request.Content = new StringContent(body, Encoding.UTF8, "text/plain");

        using var response = await Edge.Http.SendAsync(request);
        var echo = Parse(await response.Content.ReadAsStringAsync());

        echo.Method.Should().Be("POST");
        echo.Body.Should().Be(body);
        echo.Header("content-length").Should().Be((1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
        echo.Header("content-type").Should().Be("text/plain; charset=utf-8");
    }

    [Fact]
    public async Task A_chunked_request_body_is_streamed_to_the_instance_before_it_ends()
    {
        var first = new string('a', 64 * 1024);
        (await StreamTwoPartsAsync(first, "-second")).Should().Be(first + "-second");
    }

    [Fact]
    public async Task A_small_request_chunk_reaches_the_instance_before_the_body_ends()
    {
        (await StreamTwoPartsAsync("first", "-second")).Should().Be("first-second");
    }

    private async Task<string> StreamTwoPartsAsync(string first, string second)
    {
        var firstPartSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var destination = await LoopbackServer.StartAsync(async context =>
        {
            var buffer = new byte[first.Length];
            await context.Request.Body.ReadExactlyAsync(buffer);
            firstPartSeen.TrySetResult();
            using var reader = new StreamReader(context.Request.Body);
            await context.Response.WriteAsync(Encoding.ASCII.GetString(buffer) + await reader.ReadToEndAsync());
        });
        Edge.RouteShopTo(EdgeUnderTest.Healthy(destination.Port));
        using var request = Edge.Request(HttpMethod.Put, "/stream");
        // The second part is only written once the instance has read the first: an edge that holds the body back
        // until it ends never gets there (the client gives up after 10 s).
        request.Content = new TwoPartContent(first, second, firstPartSeen.Task);

        using var response = await Edge.Http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A request body of unknown length (sent chunked) whose second part waits for a signal.</summary>
    private sealed class TwoPartContent(string first, string second, Task sendSecond) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(first));
            await stream.FlushAsync();
            await sendSecond.WaitAsync(TimeSpan.FromSeconds(10));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(second));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
