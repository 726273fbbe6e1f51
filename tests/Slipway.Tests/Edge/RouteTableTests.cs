using System.Diagnostics;
using Slipway.Edge;
using Slipway.Runtime;

namespace Slipway.Tests.Edge;

public sealed class RouteTableTests
{
    [Theory]
    [InlineData("shop.localhost")]
    [InlineData("shop.localhost:8080")]
    [InlineData("SHOP.LocalHost")]
    [InlineData("Shop.Localhost.:8080")]
    [InlineData("shop.localhost.")]
    public void Host_matching_ignores_the_port_case_and_a_trailing_dot(string host)
    {
        var table = RouteTable.Empty.With(App("shop", "shop.localhost"));

        table.Match(host)!.App.Should().Be("shop");
    }

    [Theory]
    [InlineData("other.localhost")]
    [InlineData("shop.localhost.evil")]
    [InlineData("xshop.localhost")]
    [InlineData("")]
    public void An_unknown_host_matches_nothing(string host)
    {
        RouteTable.Empty.With(App("shop", "shop.localhost")).Match(host).Should().BeNull();
    }

    [Fact]
    public void The_empty_table_matches_nothing() => RouteTable.Empty.Match("SHOP.localhost:8080").Should().BeNull();

    [Fact]
    public void A_host_declared_in_upper_case_matches_requests_in_lower_case()
    {
        RouteTable.Empty.With(App("shop", "Shop.Example.COM")).Match("shop.example.com")!.App.Should().Be("shop");
    }

    [Fact]
    public void An_ipv6_host_keeps_its_brackets_and_loses_only_the_port()
    {
        var table = RouteTable.Empty.With(App("shop", "[::1]"));

        table.Match("[::1]:8080")!.App.Should().Be("shop");
        table.Match("[::1]")!.App.Should().Be("shop");
    }

    [Theory]
    [InlineData("/api", "api")]
    [InlineData("/api/", "api")]
    [InlineData("/api/x", "api")]
    [InlineData("/api/v2/users/7", "api-v2")]
    [InlineData("/api/v2", "api-v2")]
    [InlineData("/api/v2x", "api")]
    [InlineData("/apix", "site")]
    [InlineData("/ap", "site")]
    [InlineData("/", "site")]
    [InlineData("/about/team", "site")]
    public void The_longest_matching_path_prefix_picks_the_service(string path, string service)
    {
        // Services in the order the deploy engine builds them: longest prefix first.
        var app = new AppRoute("shop", "d-1", ["shop.localhost"],
            [Service("api-v2", "/api/v2"), Service("api", "/api"), Service("site", "/")], EdgeRules.None);

        app.MatchPath(path)!.Name.Should().Be(service);
    }

    [Fact]
    public void Without_a_catch_all_service_an_unmatched_path_matches_nothing()
    {
        var app = new AppRoute("shop", "d-1", ["shop.localhost"], [Service("api", "/api")], EdgeRules.None);

        app.MatchPath("/apix").Should().BeNull();
        app.MatchPath("/").Should().BeNull();
    }

    [Fact]
    public void With_replaces_only_the_hosts_of_that_app()
    {
        var table = RouteTable.Empty
            .With(App("shop", "shop.localhost", "shop.example.com"))
            .With(App("blog", "blog.localhost"));

        var next = table.With(App("shop", "shop.localhost", "store.example.com"));

        next.Match("shop.localhost")!.App.Should().Be("shop");
        next.Match("store.example.com")!.App.Should().Be("shop");
        next.Match("shop.example.com").Should().BeNull("the host the new route dropped no longer goes to shop");
        next.Match("blog.localhost")!.App.Should().Be("blog");
        next.Apps.Select(a => a.App).Should().BeEquivalentTo("shop", "blog");
        table.Match("shop.example.com")!.App.Should().Be("shop", "an existing snapshot never changes");
    }

    [Fact]
    public void With_points_the_hosts_at_the_new_deployment()
    {
        var table = RouteTable.Empty.With(App("shop", "shop.localhost") with { DeploymentId = "d-1" });

        table.With(App("shop", "shop.localhost") with { DeploymentId = "d-2" }).Match("shop.localhost")!.DeploymentId.Should().Be("d-2");
    }

    [Fact]
    public void Without_removes_every_host_of_that_app_and_nothing_else()
    {
        var table = RouteTable.Empty
            .With(App("shop", "shop.localhost", "shop.example.com"))
            .With(App("blog", "blog.localhost"));

        var next = table.Without("shop");

        next.Match("shop.localhost").Should().BeNull();
        next.Match("shop.example.com").Should().BeNull();
        next.Match("blog.localhost")!.App.Should().Be("blog");
        next.Apps.Select(a => a.App).Should().Equal("blog");
    }

    [Fact]
    public void A_first_version_parks_its_hosts_as_starting_until_it_is_routed_and_a_failed_one_leaves_them_unknown()
    {
        using var routes = new Routes();
        routes.Set(App("blog", "blog.localhost"));

        routes.ParkStarting(AppRef.Of("shop"), ["shop.localhost"]);
        routes.Current.Match("shop.localhost").Should().Match<AppRoute>(r => r.Starting && !r.Stopped && r.Services.Count == 0);
        routes.Park(AppRef.Of("shop"), ["shop.localhost", "www.shop.test"]);
        routes.Current.Match("www.shop.test")!.Starting.Should().BeTrue("a hostname added while it starts is starting too");

        routes.RemoveStarting("shop").Should().BeTrue();
        routes.Current.Match("shop.localhost").Should().BeNull("a first version that failed leaves no route: the unknown-host answer");
        routes.Current.Match("www.shop.test").Should().BeNull();
        routes.Current.Match("blog.localhost")!.App.Should().Be("blog");

        routes.ParkStarting(AppRef.Of("shop"), ["shop.localhost"]);
        routes.Set(App("shop", "shop.localhost"));
        routes.RemoveStarting("shop").Should().BeFalse();
        routes.Current.Match("shop.localhost")!.Services.Should().ContainSingle("a version that went live keeps its route");
        routes.Park(AppRef.Of("shop"));
        routes.RemoveStarting("shop").Should().BeFalse();
        routes.Current.Match("shop.localhost")!.Stopped.Should().BeTrue("a stopped app's hostnames stay parked");
    }

    [Fact]
    public void Pick_round_robins_over_healthy_endpoints()
    {
        var endpoints = Endpoints(3);
        var service = new ServiceRoute("web", "/", endpoints, null);

        var picks = Enumerable.Range(0, 9).Select(_ => service.Pick()!).ToList();

        picks.GroupBy(p => p).Select(g => g.Count()).Should().Equal(3, 3, 3);
        picks.Zip(picks.Skip(1)).Should().OnlyContain(pair => pair.First != pair.Second, "consecutive picks go to different endpoints");
    }

    [Fact]
    public void Pick_never_returns_an_unhealthy_endpoint()
    {
        var endpoints = Endpoints(3);
        endpoints[1].Healthy = false;
        var service = new ServiceRoute("web", "/", endpoints, null);

        var picks = Enumerable.Range(0, 30).Select(_ => service.Pick()).ToList();

        picks.Should().NotContain(endpoints[1]).And.Contain(endpoints[0]).And.Contain(endpoints[2]);
    }

    [Fact]
    public void Pick_spreads_requests_evenly_over_the_healthy_endpoints_when_one_is_down()
    {
        var endpoints = Endpoints(3);
        endpoints[1].Healthy = false;
        var service = new ServiceRoute("web", "/", endpoints, null);

        var picks = Enumerable.Range(0, 300).Select(_ => service.Pick()!).ToList();

        picks.Count(p => p == endpoints[0]).Should().BeCloseTo(150, 15);
        picks.Count(p => p == endpoints[2]).Should().BeCloseTo(150, 15);
    }

    [Fact]
    public void Pick_finds_a_healthy_endpoint_while_another_one_flaps()
    {
        var endpoints = Endpoints(3);
        var service = new ServiceRoute("web", "/", endpoints, null);
        var stop = Stopwatch.StartNew();
        var started = new ManualResetEventSlim();
        // A replica whose health flips (crash, restart, probe) must never make Pick miss the two steady ones. A
        // thread of its own, not the pool: the pool may not start it before the test is over.
        var flapper = new Thread(() =>
        {
            started.Set();
            while (stop.ElapsedMilliseconds < 300)
            {
                endpoints[2].Healthy = !endpoints[2].Healthy;
            }
        });
        flapper.Start();
        started.Wait();

        var misses = 0;
        while (stop.ElapsedMilliseconds < 300)
        {
            if (service.Pick() is null)
            {
                misses++;
            }
        }
        flapper.Join();

        misses.Should().Be(0);
    }

    [Fact]
    public void Pick_skips_the_excluded_endpoint()
    {
        var endpoints = Endpoints(2);
        var service = new ServiceRoute("web", "/", endpoints, null);

        Enumerable.Range(0, 10).Select(_ => service.Pick(exclude: endpoints[0])).Should().OnlyContain(p => p == endpoints[1]);
    }

    [Fact]
    public void Pick_returns_null_when_no_endpoint_is_healthy()
    {
        var endpoints = Endpoints(2);
        endpoints[0].Healthy = false;
        endpoints[1].Healthy = false;

        new ServiceRoute("web", "/", endpoints, null).Pick().Should().BeNull();
        new ServiceRoute("web", "/", [], null).Pick().Should().BeNull();
    }

    [Fact]
    public void Pick_returns_null_when_the_only_healthy_endpoint_is_excluded()
    {
        var endpoints = Endpoints(2);
        endpoints[1].Healthy = false;

        new ServiceRoute("web", "/", endpoints, null).Pick(exclude: endpoints[0]).Should().BeNull();
    }

    private static AppRoute App(string app, params string[] hosts) =>
        new(app, "d-" + app, hosts, [Service("web", "/")], EdgeRules.None);

    private static ServiceRoute Service(string name, string prefix) => new(name, prefix, Endpoints(1), null);

    private static List<InstanceEndpoint> Endpoints(int count) =>
        Enumerable.Range(0, count).Select(i => new InstanceEndpoint($"i-{i}", 40000 + i) { Healthy = true }).ToList();
}
