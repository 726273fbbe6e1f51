namespace Slipway.Manifests;

/// <summary>App-wide HTTP rules from the manifest's top-level "routes" (the shape vercel.json uses), applied
/// by the edge before a request reaches a service. Sources are path patterns like "/api/:path*" or "/(.*)".
/// The edge compiles them when a deployment goes live and swaps them in with it.</summary>
internal sealed record RoutesSpec
{
    /// <summary>Serve <c>Destination</c> (a path in the app, or an external https URL) for requests matching
    /// <c>Source</c>, without the client seeing a redirect. First match wins.</summary>
    public IReadOnlyList<RouteRewrite> Rewrites { get; init; } = [];

    public IReadOnlyList<RouteRedirect> Redirects { get; init; } = [];

    /// <summary>Response headers added to requests whose path matches a source.</summary>
    public IReadOnlyList<RouteHeaders> Headers { get; init; } = [];

    /// <summary>Serve "/about.html" at "/about" and redirect the .html spelling to it.</summary>
    public bool CleanUrls { get; init; }

    /// <summary>true: redirect "/about" to "/about/"; false: the other way; null: leave paths alone.</summary>
    public bool? TrailingSlash { get; init; }

    public IReadOnlyList<CorsRule> Cors { get; init; } = [];

    public IReadOnlyList<RateLimitRule> RateLimits { get; init; } = [];

    /// <summary>Overrides of the default security headers: a value replaces the default, null removes the
    /// header. A Content-Security-Policy is sent only when declared here.</summary>
    public IReadOnlyDictionary<string, string?> SecurityHeaders { get; init; } = new Dictionary<string, string?>();

    public EdgeLimitsSpec Limits { get; init; } = new();

    /// <summary>Redirect plain HTTP requests to HTTPS (308) when the edge serves TLS.</summary>
    public bool ForceHttps { get; init; }
}

internal sealed record RouteRewrite
{
    public required string Source { get; init; }
    public required string Destination { get; init; }
}

internal sealed record RouteRedirect
{
    public required string Source { get; init; }
    public required string Destination { get; init; }

    /// <summary>301, 302, 307 or 308. "permanent": true is 308, false is 307 (the default is 308, as on Vercel).</summary>
    public int StatusCode { get; init; } = 308;
}

internal sealed record RouteHeaders
{
    public required string Source { get; init; }
    public required IReadOnlyList<HeaderValue> Headers { get; init; }
}

internal sealed record HeaderValue(string Key, string Value);
