using System.Net;
using Slipway.Edge;
using Slipway.Manifests;
using Slipway.Tests.Manifests;
using Slipway.Tests.Support;

namespace Slipway.Tests.Edge;

/// <summary>The edge behaves as the platforms teams come from (Vercel, Netlify, Firebase): the filesystem comes
/// before rewrites, a plain static site answers 404, a rewrite to another app of this edge stays inside it, and
/// the edge's own error pages never carry the app's declared headers.</summary>
public sealed class PlatformParityTests : IAsyncLifetime
{
    private readonly string _dir = TempDirs.Create("parity");
    private EdgeUnderTest _edge = null!;
    private LoopbackServer _api = null!;

    private string Dist => Path.Combine(_dir, "dist");

    public async Task InitializeAsync()
    {
        _edge = await EdgeUnderTest.StartAsync();
        _api = await Backend.StartAsync();
        Write("index.html", "<h1>spa</h1>");
        Write("assets/index-BkXq3x9a.js", "console.log('bundle')");
        Write("assets/index-D4fT0u2c.css", "body{}");
        Write("robots.txt", "User-agent: *");
    }

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        await _api.DisposeAsync();
        TempDirs.Delete(_dir);
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Dist, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    /// <summary>shop.localhost: the static output of a Vite build, deployed from the standard SPA vercel.json.</summary>
    private void RouteSpaFromVercelJson(RoutesSpec? extra = null, string destination = "/index.html") => _edge.RouteShop(
        (extra ?? new RoutesSpec()) with { Rewrites = [.. extra?.Rewrites ?? [], new RouteRewrite { Source = "/(.*)", Destination = destination }] },
        new ServiceRoute("web", "/", [], new StaticSite(Dist, spa: false, _dir)));

    private async Task<HttpResponseMessage> GetAsync(string target, string host = "shop.localhost", string? accept = null)
    {
        var request = _edge.Request(HttpMethod.Get, target, host);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        return await _edge.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_catch_all_rewrite_to_index_html_serves_the_bundles_as_themselves_and_client_routes_as_index()
    {
        RouteSpaFromVercelJson();

        using var js = await GetAsync("/assets/index-BkXq3x9a.js");
        using var css = await GetAsync("/assets/index-D4fT0u2c.css");
        using var route = await GetAsync("/users/42");
        using var home = await GetAsync("/");

        js.StatusCode.Should().Be(HttpStatusCode.OK);
        js.Content.Headers.ContentType!.MediaType.Should().Be("text/javascript");
        (await js.Content.ReadAsStringAsync()).Should().Be("console.log('bundle')");
        css.Content.Headers.ContentType!.MediaType.Should().Be("text/css");
        (await route.Content.ReadAsStringAsync()).Should().Be("<h1>spa</h1>");
        route.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await home.Content.ReadAsStringAsync()).Should().Be("<h1>spa</h1>");
    }

    [Theory]
    [InlineData("/assets/index-OLDHASH1.js", "/index.html")]
    [InlineData("/favicon.ico", "/index.html")]
    [InlineData("/assets/index-OLDHASH1.js", "/")]
    [InlineData("/favicon.ico", "/")]
    [InlineData("/assets/index-OLDHASH1.js", "/index")]
    public async Task A_missing_asset_is_a_404_even_under_a_catch_all_rewrite(string path, string destination)
    {
        // "/index" names the page only with cleanUrls.
        RouteSpaFromVercelJson(destination == "/index" ? new RoutesSpec { CleanUrls = true } : null, destination);

        using var response = await GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("<h1>spa</h1>");
    }

    [Theory]
    [InlineData("/users/john.doe", "/index.html")]
    [InlineData("/users/john.doe", "/")]
    [InlineData("/v1.2/docs", "/")]
    [InlineData("/v1.2", "/index.html")]
    public async Task A_client_route_with_a_dot_still_gets_the_page_under_a_catch_all_rewrite(string path, string destination)
    {
        RouteSpaFromVercelJson(destination: destination);

        using var response = await GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("<h1>spa</h1>");
    }

    [Fact]
    public async Task A_plain_static_site_answers_404_with_its_own_404_page_for_a_path_it_does_not_have()
    {
        Write("404.html", "<h1>lost</h1>");
        _edge.RouteShop(new RoutesSpec(), new ServiceRoute("web", "/", [], new StaticSite(Dist, spa: false, _dir)));

        using var missing = await GetAsync("/users/42");
        using var home = await GetAsync("/");

        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync()).Should().Be("<h1>lost</h1>");
        missing.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        home.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public void Spa_fallback_is_off_unless_declared()
    {
        using var source = new TempSource();
        source.File("slipway.json", """{ "services": { "site": { "type": "static", "install": null, "build": null, "output": "." } } }""");
        source.File("index.html", "<h1>x</h1>");

        var spec = ((ManifestResult.Ok)ManifestLoader.Load(source.Dir)).Spec;

        spec.Services.Single().Spa.Should().BeFalse();
    }

    [Theory]
    [InlineData("http://api.localhost")]
    [InlineData("http://api.localhost:8080")]
    [InlineData("https://api.example.com")]
    public async Task A_rewrite_to_a_host_of_this_edge_is_routed_inside_it_with_path_query_and_that_apps_rules(string origin)
    {
        RouteSpaFromVercelJson(new RoutesSpec { Rewrites = [new RouteRewrite { Source = "/api/:path*", Destination = origin + "/v2/:path*?via=shop" }] });
        _edge.Routes.Set(new AppRoute("api", "d-2", ["api.localhost", "api.example.com"],
            [new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_api.Port)], null)],
            EdgeRules.Compile("api", new RoutesSpec { Headers = [new RouteHeaders { Source = "/(.*)", Headers = [new("X-Served-By", "api")] }] }, _edge.Routes.Limiters)));

        using var response = await GetAsync("/api/orders/7?page=2");

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var seen = Backend.Parse(await response.Content.ReadAsStringAsync());
        seen.Target.Should().Be("/v2/orders/7?via=shop&page=2");
        seen.Headers["host"].Should().StartWith("api.");
        response.Headers.GetValues("X-Served-By").Should().Equal("api");
    }

    [Fact]
    public async Task A_rewrite_to_another_app_keeps_the_first_apps_cors_and_headers_under_the_second_apps()
    {
        RouteSpaFromVercelJson(new RoutesSpec
        {
            Rewrites = [new RouteRewrite { Source = "/api/:path*", Destination = "http://api.localhost/:path*" }],
            Cors = [new CorsRule { Source = "/api/:path*", Origins = ["https://app.example.com"], ExposeHeaders = ["X-Total"] }],
            Headers = [new RouteHeaders { Source = "/api/(.*)", Headers = [new("X-Team", "shop"), new("X-Served-By", "shop")] }],
        });
        _edge.Routes.Set(new AppRoute("api", "d-2", ["api.localhost"], [new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_api.Port)], null)],
            EdgeRules.Compile("api", new RoutesSpec { Headers = [new RouteHeaders { Source = "/(.*)", Headers = [new("X-Served-By", "api")] }] },
                _edge.Routes.Limiters)));

        var preflight = _edge.Request(HttpMethod.Options, "/api/orders");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        using var allowed = await _edge.Http.SendAsync(preflight);
        var real = _edge.Request(HttpMethod.Get, "/api/orders");
        real.Headers.Add("Origin", "https://app.example.com");
        using var response = await _edge.Http.SendAsync(real);

        allowed.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("https://app.example.com");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        Backend.Parse(await response.Content.ReadAsStringAsync()).Target.Should().Be("/orders");
        response.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("https://app.example.com");
        response.Headers.GetValues("Access-Control-Expose-Headers").Should().Equal("X-Total");
        response.Headers.GetValues("X-Team").Should().Equal("shop");
        response.Headers.GetValues("X-Served-By").Should().ContainSingle().Which.Should().Be("api", "the app that answers wins");
    }

    [Fact]
    public async Task A_rewrite_to_an_https_app_of_this_edge_is_not_redirected_to_its_host()
    {
        _edge.Handler.HttpsPort = 8443;
        _edge.Handler.ServesTls = _ => true;
        RouteSpaFromVercelJson(new RoutesSpec { Rewrites = [new RouteRewrite { Source = "/api/:path*", Destination = "https://api.localhost/:path*" }] });
        _edge.Routes.Set(new AppRoute("api", "d-2", ["api.localhost"], [new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_api.Port)], null)],
            EdgeRules.Compile("api", new RoutesSpec { ForceHttps = true }, _edge.Routes.Limiters)));

        using var response = await GetAsync("/api/orders");
        using var direct = await GetAsync("/orders", host: "api.localhost");

        response.StatusCode.Should().Be(HttpStatusCode.OK, "the browser asked shop.localhost; api's forceHttps is for its own visitors");
        direct.StatusCode.Should().Be(HttpStatusCode.PermanentRedirect);
    }

    [Fact]
    public async Task Rewrites_between_apps_that_loop_answer_an_error_instead_of_spinning()
    {
        _edge.RouteShop(new RoutesSpec { Rewrites = [new RouteRewrite { Source = "/(.*)", Destination = "http://loop.localhost/$1" }] },
            new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_api.Port)], null));
        _edge.Routes.Set(new AppRoute("loop", "d-3", ["loop.localhost"], [new ServiceRoute("web", "/", [EdgeUnderTest.Healthy(_api.Port)], null)],
            EdgeRules.Compile("loop", new RoutesSpec { Rewrites = [new RouteRewrite { Source = "/(.*)", Destination = "http://shop.localhost/$1" }] }, _edge.Routes.Limiters)));

        using var response = await GetAsync("/x");

        response.StatusCode.Should().Be((HttpStatusCode)508);
    }

    [Fact]
    public async Task The_edges_error_pages_never_carry_the_apps_declared_cache_and_cors_headers()
    {
        var dead = new Slipway.Runtime.InstanceEndpoint("i-dead", FreePort()) { Healthy = true };
        _edge.RouteShop(new RoutesSpec
        {
            Headers = [new RouteHeaders { Source = "/(.*)", Headers = [new("Cache-Control", "public, max-age=3600"), new("X-Team", "shop")] }],
        }, new ServiceRoute("web", "/", [dead], null));

        using var html = await GetAsync("/", accept: "text/html,application/xhtml+xml,*/*;q=0.8");
        using var problem = await GetAsync("/", accept: "application/json");

        // The instance refuses connections: a 502, or a 503 once the edge has taken it out of rotation.
        ((int)html.StatusCode).Should().BeOneOf(502, 503);
        html.Headers.CacheControl!.NoStore.Should().BeTrue();
        html.Headers.CacheControl.MaxAge.Should().BeNull();
        html.Headers.Contains("X-Team").Should().BeFalse();
        html.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        html.Headers.Contains("X-Content-Type-Options").Should().BeTrue("security defaults still apply");
        problem.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await problem.Content.ReadAsStringAsync()).Should().MatchRegex("\"status\":50[23]").And.Contain("\"title\":");
        problem.Headers.Contains("X-Team").Should().BeFalse();
    }

    [Fact]
    public async Task Declared_headers_still_apply_to_the_apps_own_files()
    {
        RouteSpaFromVercelJson(new RoutesSpec { Headers = [new RouteHeaders { Source = "/(.*)", Headers = [new("X-Team", "shop")] }] });

        using var response = await GetAsync("/robots.txt");

        response.Headers.GetValues("X-Team").Should().Equal("shop");
    }

    [Fact]
    public async Task A_stopped_app_answers_503_with_the_command_that_starts_it()
    {
        _edge.Routes.Set(AppRoute.StoppedAt(AppRef.Of("shop"), ["shop.localhost"]));

        using var response = await GetAsync("/");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await response.Content.ReadAsStringAsync()).Should().Contain("shop is stopped (slipway start --app shop)");
    }

    [Fact]
    public async Task A_stopped_environment_names_the_flags_the_user_types_not_its_store_key()
    {
        _edge.Routes.Set(AppRoute.StoppedAt(AppRef.Of("shop", "staging"), ["shop-staging.localhost"]));

        using var response = await GetAsync("/", host: "shop-staging.localhost");

        (await response.Content.ReadAsStringAsync()).Should().Contain("(slipway start --app shop --env staging)")
            .And.NotContain("--app shop-staging");
    }

    [Fact]
    public async Task An_app_being_started_answers_503_starting_with_retry_after_not_stopped()
    {
        _edge.Routes.Set(AppRoute.StoppedAt(AppRef.Of("shop"), ["shop.localhost"]));
        _edge.Routes.Park(AppRef.Of("shop"), starting: true);

        using var response = await GetAsync("/");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.Should().BePositive();
        (await response.Content.ReadAsStringAsync()).Should().Contain("shop is starting").And.NotContain("stopped");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("*/*")]
    [InlineData("application/json, text/plain, */*")]
    public async Task Error_pages_are_problem_json_unless_the_client_asks_for_html(string? accept)
    {
        using var response = await GetAsync("/", host: "nope.localhost", accept: accept);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task A_sites_own_404_page_is_never_cached_under_a_declared_immutable_cache_control()
    {
        Write("404.html", "<h1>lost</h1>");
        _edge.RouteShop(new RoutesSpec
        {
            Headers = [new RouteHeaders { Source = "/assets/(.*)", Headers = [new("Cache-Control", "public, max-age=31536000, immutable")] }],
        }, new ServiceRoute("web", "/", [], new StaticSite(Dist, spa: false, _dir)));

        using var missing = await GetAsync("/assets/index-OLDHASH1.js");
        using var present = await GetAsync("/assets/index-BkXq3x9a.js");

        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await missing.Content.ReadAsStringAsync()).Should().Be("<h1>lost</h1>");
        missing.Headers.CacheControl!.MaxAge.Should().BeNull();
        missing.Headers.CacheControl.ToString().Should().NotContain("immutable").And.MatchRegex("no-cache|no-store");
        present.Headers.CacheControl!.MaxAge.Should().Be(TimeSpan.FromDays(365));
    }

    [Fact]
    public async Task An_app_with_no_healthy_instance_yet_answers_503_with_retry_after()
    {
        _edge.RouteShopTo(new Slipway.Runtime.InstanceEndpoint("i-starting", FreePort()) { Healthy = false });

        using var response = await GetAsync("/");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter!.Delta.Should().BePositive();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
