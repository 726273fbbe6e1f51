using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Slipway.Runtime;

namespace Slipway.Tests.Edge;

/// <summary>A real edge routing shop.localhost to an echo server that answers with what it received as JSON;
/// each forwarder test class starts its own (one per test, as xunit makes one instance per test).</summary>
public abstract class ForwarderTestBase : IAsyncLifetime
{
    private LoopbackServer _echo = null!;

    private protected EdgeUnderTest Edge { get; private set; } = null!;

    private protected InstanceEndpoint EchoEndpoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Edge = await EdgeUnderTest.StartAsync();
        _echo = await LoopbackServer.StartAsync(EchoAsync);
        EchoEndpoint = EdgeUnderTest.Healthy(_echo.Port);
        Edge.RouteShopTo(EchoEndpoint);
    }

    public async Task DisposeAsync()
    {
        await Edge.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private protected async Task<Echo> SendAsync(HttpRequestMessage request)
    {
        using var response = await Edge.Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        return Parse(await response.Content.ReadAsStringAsync());
    }

    private static async Task EchoAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var echo = new Echo(
            context.Request.Method,
            context.Features.Get<IHttpRequestFeature>()!.RawTarget,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Select(v => v ?? "").ToArray()),
            await reader.ReadToEndAsync());
        var bytes = JsonSerializer.SerializeToUtf8Bytes(echo);
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    private protected static Echo Parse(string json) => JsonSerializer.Deserialize<Echo>(json)!;

    private protected sealed record Echo(string Method, string Target, Dictionary<string, string[]> Headers, string Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var values) ? string.Join(",", values) : null;
    }
}
