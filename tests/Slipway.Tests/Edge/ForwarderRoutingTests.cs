using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Slipway.Edge;

namespace Slipway.Tests.Edge;

/// <summary>Which instance a host and path reach, and the page an unknown host gets.</summary>
public sealed class ForwarderRoutingTests : ForwarderTestBase
{
    [Fact]
    public async Task A_path_under_a_service_prefix_goes_to_that_service_unchanged()
    {
        await using var api = await LoopbackServer.StartAsync(context => context.Response.WriteAsync("api " + context.Request.Path));
        Edge.Routes.Set(new AppRoute("shop", "d-1", ["shop.localhost"],
            [new ServiceRoute("api", "/api", [EdgeUnderTest.Healthy(api.Port)], null), new ServiceRoute("web", "/", [EchoEndpoint], null)], EdgeRules.None));

        using var toApi = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/api/users"));
        using var toWeb = await Edge.Http.SendAsync(Edge.Request(HttpMethod.Get, "/apix"));

        (await toApi.Content.ReadAsStringAsync()).Should().Be("api /api/users");
        Parse(await toWeb.Content.ReadAsStringAsync()).Target.Should().Be("/apix");
    }

    [Fact]
    public async Task An_unknown_host_gets_a_404_page()
    {
        var request = Edge.Request(HttpMethod.Get, "/", host: "nope.localhost");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await Edge.Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await response.Content.ReadAsStringAsync()).Should().Contain("No app is deployed at nope.localhost");
        EchoEndpoint.Requests.Should().Be(0);
    }

    [Fact]
    public async Task An_unknown_host_gets_json_when_the_client_accepts_json()
    {
        using var request = Edge.Request(HttpMethod.Get, "/", host: "nope.localhost");
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await Edge.Http.SendAsync(request);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        json.GetProperty("status").GetInt32().Should().Be(404);
        json.GetProperty("title").GetString().Should().Be("No app here");
    }
}
