using System.Text.Json;
using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>The edge rules under "routes" beyond vercel.json's shape: cors, rateLimits, securityHeaders, limits, forceHttps.</summary>
public sealed class EdgeRulesManifestTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Edge_rules_are_read_onto_the_spec_and_survive_the_stored_json()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "./server" } },
              "routes": {
                "cors": [{ "source": "/api/:path*", "origins": ["https://app.example.com"], "credentials": true,
                           "methods": ["GET", "POST"], "headers": ["Content-Type"], "exposeHeaders": ["X-Total"], "maxAge": "1h" }],
                "rateLimits": [{ "source": "/api/:path*", "limit": 100, "window": "15m", "mode": "sliding" }],
                "securityHeaders": { "X-Frame-Options": "DENY", "Permissions-Policy": false, "Content-Security-Policy": "default-src 'self'" },
                "limits": { "maxBodySize": "1mb", "connectTimeout": "2s", "responseTimeout": "30s" },
                "forceHttps": true
              }
            }
            """);

        var routes = LoadOk(_source).Spec.Routes;

        routes.Cors.Should().ContainSingle().Which.Should().BeEquivalentTo(new CorsRule
        {
            Source = "/api/:path*", Origins = ["https://app.example.com"], Credentials = true, Methods = ["GET", "POST"],
            Headers = ["Content-Type"], ExposeHeaders = ["X-Total"], MaxAge = TimeSpan.FromHours(1),
        });
        routes.RateLimits.Should().ContainSingle().Which.Should().BeEquivalentTo(new RateLimitRule
        {
            Source = "/api/:path*", Limit = 100, Window = TimeSpan.FromMinutes(15), Mode = RateLimitWindow.Sliding,
        });
        routes.SecurityHeaders.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["X-Frame-Options"] = "DENY", ["Permissions-Policy"] = null, ["Content-Security-Policy"] = "default-src 'self'",
        });
        routes.Limits.Should().Be(new EdgeLimitsSpec
        {
            MaxBodySize = 1024 * 1024, ConnectTimeout = TimeSpan.FromSeconds(2), ResponseTimeout = TimeSpan.FromSeconds(30),
        });
        routes.ForceHttps.Should().BeTrue();

        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var spec = LoadOk(_source).Spec;
        JsonSerializer.Deserialize<AppSpec>(JsonSerializer.Serialize(spec, json), json)!.Routes.Should().BeEquivalentTo(spec.Routes);
    }

    [Fact]
    public void Every_bad_edge_rule_is_reported_with_its_key_path()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "./server" } },
              "routes": {
                "rewrites": [{ "source": "/a/(b", "destination": "/c" }],
                "cors": [{ "source": "/api/:path*", "origins": ["*"], "credentials": true },
                         { "source": "/x", "origins": ["https://a.example.com/path"], "methods": ["get"] },
                         { "source": "/y" }],
                "rateLimits": [{ "source": "/api", "limit": 0, "window": "15m" }, { "source": "/b", "limit": 5, "window": "2d", "mode": "leaky" }],
                "securityHeaders": { "X-Frame-Options": true },
                "limits": { "maxBodySize": "1 parsec", "responseTimeout": "soon" }
              }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.Errors.Select(error => error.Path).Should().Equal(
            "routes.rewrites[0].source",
            "routes.cors[0].credentials", "routes.cors[1].origins", "routes.cors[1].methods", "routes.cors[2].origins",
            "routes.rateLimits[0].limit", "routes.rateLimits[1].window", "routes.rateLimits[1].mode",
            "routes.securityHeaders",
            "routes.limits.maxBodySize", "routes.limits.responseTimeout");
        invalid.SingleErrorAt("routes.rewrites[0].source").Message.Should().Contain("never closed");
        invalid.SingleErrorAt("routes.cors[0].credentials").Message.Should().Contain("list the allowed origins");
        invalid.SingleErrorAt("routes.securityHeaders").Message.Should().StartWith("X-Frame-Options: expected");
        invalid.SingleErrorAt("routes.rateLimits[1].mode").Message.Should().Contain("\"sliding\"");
    }
}
