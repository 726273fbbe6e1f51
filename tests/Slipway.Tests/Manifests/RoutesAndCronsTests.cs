using System.Text.Json;
using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>The top-level "routes" and "crons" keys: read onto <see cref="AppSpec"/>, shapes checked with key paths.</summary>
public sealed class RoutesAndCronsTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Routes_and_crons_are_read_onto_the_spec()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "./server" }, "jobs": { "type": "worker", "start": "./jobs" } },
              "routes": {
                "rewrites": [{ "source": "/api/:path*", "destination": "https://api.example.com/:path*" }],
                "redirects": [
                  { "source": "/old", "destination": "/new" },
                  { "source": "/tmp", "destination": "/now", "permanent": false },
                  { "source": "/moved", "destination": "https://example.org/", "statusCode": 301 }
                ],
                "headers": [{ "source": "/widget.js", "headers": [{ "key": "Access-Control-Allow-Origin", "value": "*" }] }],
                "cleanUrls": true,
                "trailingSlash": false
              },
              "crons": [
                { "name": "daily-sync", "schedule": "0 3 * * *", "path": "/api/cron/daily-sync" },
                { "name": "rollup", "schedule": "*/15 * * * *", "command": "node rollup.js", "service": "jobs" }
              ]
            }
            """);

        var spec = LoadOk(_source).Spec;

        spec.Routes.Should().BeEquivalentTo(new RoutesSpec
        {
            Rewrites = [new RouteRewrite { Source = "/api/:path*", Destination = "https://api.example.com/:path*" }],
            Redirects =
            [
                new RouteRedirect { Source = "/old", Destination = "/new", StatusCode = 308 },
                new RouteRedirect { Source = "/tmp", Destination = "/now", StatusCode = 307 },
                new RouteRedirect { Source = "/moved", Destination = "https://example.org/", StatusCode = 301 },
            ],
            Headers = [new RouteHeaders { Source = "/widget.js", Headers = [new HeaderValue("Access-Control-Allow-Origin", "*")] }],
            CleanUrls = true,
            TrailingSlash = false,
        }, options => options.WithStrictOrdering());
        spec.Crons.Should().Equal(
            new CronSpec { Name = "daily-sync", Schedule = "0 3 * * *", Path = "/api/cron/daily-sync" },
            new CronSpec { Name = "rollup", Schedule = "*/15 * * * *", Command = "node rollup.js", Service = "jobs" });
    }

    [Fact]
    public void Without_routes_or_crons_the_spec_has_none()
    {
        _source.Manifest("""{ "services": { "web": { "start": "./server" } } }""");

        var spec = LoadOk(_source).Spec;

        spec.Routes.Should().BeEquivalentTo(new RoutesSpec());
        spec.Routes.TrailingSlash.Should().BeNull();
        spec.Crons.Should().BeEmpty();
    }

    [Fact]
    public void Every_bad_rule_is_reported_with_its_key_path()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "./server" }, "site": { "type": "static", "output": ".", "path": "/site" } },
              "routes": {
                "rewrites": [{ "source": "api/:path*", "destination": "ftp://x" }, "nope", { "source": "/a" }],
                "redirects": [{ "source": "/a", "destination": "/b", "permanent": true, "statusCode": 301 },
                              { "source": "/c", "destination": "/d", "statusCode": 303 }],
                "headers": [{ "source": "/x", "headers": [] }, { "source": "/y", "headers": [{ "key": "Bad Header", "value": "v" }] }],
                "cleanUrls": "yes",
                "rewrite": []
              },
              "crons": [
                { "name": "Nightly", "schedule": "0 3 * *", "path": "/x", "command": "y" },
                { "name": "a", "schedule": "@daily", "path": "x" },
                { "name": "b", "schedule": "0 3 * * *", "command": "./b", "service": "site" },
                { "name": "c", "schedule": "0 3 * * *", "path": "/c", "service": "nope" },
                { "name": "c", "schedule": "0 3 * * *" }
              ]
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.Errors.Select(error => error.Path).Should().Equal(
            "routes.rewrite",
            "routes.rewrites[0].source", "routes.rewrites[0].destination", "routes.rewrites[1]", "routes.rewrites[2].destination",
            "routes.redirects[0].statusCode", "routes.redirects[1].statusCode",
            "routes.headers[0].headers", "routes.headers[1].headers[0].key",
            "routes.cleanUrls",
            "crons[0].name", "crons[0].schedule", "crons[0].command",
            "crons[1].schedule", "crons[1].path",
            "crons[2].service", "crons[3].service",
            "crons[4].name", "crons[4].path");
        invalid.SingleErrorAt("routes.rewrite").Message.Should().Contain("did you mean \"rewrites\"?");
        invalid.SingleErrorAt("routes.rewrites[2].destination").Message.Should().StartWith("missing;");
        invalid.SingleErrorAt("routes.redirects[0].statusCode").Message.Should().Contain("not both");
        invalid.SingleErrorAt("crons[0].schedule").Message.Should().Contain("five cron fields");
        invalid.SingleErrorAt("crons[2].service").Message.Should().Contain("static service");
        invalid.SingleErrorAt("crons[3].service").Message.Should().Contain("declared: web, site");
        invalid.SingleErrorAt("crons[4].name").Message.Should().Contain("used by another cron job");
    }

    [Fact]
    public void Crons_inside_a_service_point_to_the_top_level()
    {
        _source.Manifest("""{ "services": { "web": { "start": "./server", "crons": [] } } }""");

        LoadInvalid(_source).SingleErrorAt("services.web.crons").Message.Should().Contain("move \"crons\" to the top level");
    }

    [Fact]
    public void A_spec_with_routes_and_crons_survives_the_json_a_deployment_stores()
    {
        var spec = new AppSpec
        {
            Services = [new ServiceSpec { Name = "web", Start = "./server" }],
            Routes = new RoutesSpec
            {
                Rewrites = [new RouteRewrite { Source = "/(.*)", Destination = "/index.html" }],
                Headers = [new RouteHeaders { Source = "/x", Headers = [new HeaderValue("X-A", "b")] }],
                TrailingSlash = true,
            },
            Crons = [new CronSpec { Name = "sync", Schedule = "0 * * * *", Path = "/sync" }],
        };
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        var copy = JsonSerializer.Deserialize<AppSpec>(JsonSerializer.Serialize(spec, json), json)!;
        var older = JsonSerializer.Deserialize<AppSpec>("""{ "services": [{ "name": "web", "start": "./server" }] }""", json)!;

        copy.Should().BeEquivalentTo(spec);
        older.Routes.Should().BeEquivalentTo(new RoutesSpec(), "specs stored before routes existed still load");
        older.Crons.Should().BeEmpty();
    }
}
