using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Slipway.Manifests;

namespace Slipway.Edge;

/// <summary>One app's <see cref="RoutesSpec"/>, compiled when its deployment goes live and swapped in with
/// it as part of the <see cref="AppRoute"/>: patterns are regular expressions by now and CORS rules are
/// ASP.NET Core policies, so a request only matches.</summary>
internal sealed class EdgeRules
{
    /// <summary>Sent unless the app or the manifest says otherwise.</summary>
    public static readonly IReadOnlyList<KeyValuePair<string, string>> DefaultSecurityHeaders =
    [
        new("X-Content-Type-Options", "nosniff"),
        new("X-Frame-Options", "SAMEORIGIN"),
        new("Referrer-Policy", "strict-origin-when-cross-origin"),
        new("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ];

    public const string DefaultHsts = "max-age=15552000";

    public static readonly EdgeRules None = Compile("", new RoutesSpec(), null);

    /// <summary>A git push to the platform: a first push carries the whole history (up to 1 GiB, what git and the API
    /// accept too), and git's answer starts only when the push's deployment has been built and gated.</summary>
    public static readonly EdgeRules GitPush = Compile("", new RoutesSpec
    {
        Limits = new EdgeLimitsSpec { MaxBodySize = MaxPush, ResponseTimeout = TimeSpan.FromHours(1) },
    }, null);

    /// <summary>The largest git push body the platform takes, at the edge and in the API alike.</summary>
    public const long MaxPush = 1024L * 1024 * 1024;

    public required IReadOnlyList<(PathPattern Pattern, RouteRedirect Rule)> Redirects { get; init; }
    public required IReadOnlyList<(PathPattern Pattern, RouteRewrite Rule)> Rewrites { get; init; }
    public required IReadOnlyList<(PathPattern Pattern, IReadOnlyList<HeaderValue> Headers)> Headers { get; init; }
    public required IReadOnlyList<(PathPattern Pattern, CorsPolicy Policy)> Cors { get; init; }
    public required IReadOnlyList<(PathPattern Pattern, RateLimitRule Rule, PartitionedRateLimiter<string> Limiter)> RateLimits { get; init; }

    /// <summary>Security headers the manifest sets (they replace whatever the app sent).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> SecurityOverrides { get; init; }

    /// <summary>Default security headers the manifest did not override or remove (the app's own value wins).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> SecurityDefaults { get; init; }

    /// <summary>Strict-Transport-Security for TLS requests: the manifest's value, or the default when it forces HTTPS;
    /// null otherwise (a domain may still opt in, see <see cref="DomainPolicies"/>).</summary>
    public required string? Hsts { get; init; }

    public required EdgeLimitsSpec Limits { get; init; }
    public bool ForceHttps { get; init; }
    public bool CleanUrls { get; init; }
    public bool? TrailingSlash { get; init; }

    /// <summary>No path-dependent rule at all: the request goes straight to its service.</summary>
    public bool PathRulesEmpty => Redirects.Count == 0 && Rewrites.Count == 0 && Headers.Count == 0 && Cors.Count == 0 &&
        RateLimits.Count == 0 && !CleanUrls && TrailingSlash is null;

    public static EdgeRules Compile(string app, RoutesSpec spec, RateLimiters? limiters)
    {
        var overrides = new List<KeyValuePair<string, string>>();
        var removed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in spec.SecurityHeaders)
        {
            if (value is null)
            {
                removed.Add(name);
            }
            else if (!name.Equals("Strict-Transport-Security", StringComparison.OrdinalIgnoreCase))
            {
                overrides.Add(new(name, value));
            }
        }
        // HSTS is opt-in: a browser that saw it refuses plain HTTP for months, so a certificate that later lapses
        // locks visitors out. An app opts in by declaring the header or forceHttps; a domain by `domains add --hsts`.
        var hsts = removed.Contains("Strict-Transport-Security")
            ? null
            : spec.SecurityHeaders.FirstOrDefault(kv => kv.Key.Equals("Strict-Transport-Security", StringComparison.OrdinalIgnoreCase)).Value
              ?? (spec.ForceHttps ? DefaultHsts : null);
        var rateLimits = limiters is null
            ? []
            : spec.RateLimits.Select(rule => (Pattern(rule.Source), rule, limiters.For(app, rule))).Where(r => r.Item1 is not null)
                .Select(r => (r.Item1!, r.rule, r.Item3)).ToList();
        limiters?.Retain(app, rateLimits.Select(r => r.Item3).ToList());
        return new EdgeRules
        {
            Redirects = Compiled(spec.Redirects, r => r.Source),
            Rewrites = Compiled(spec.Rewrites, r => r.Source),
            Headers = Compiled(spec.Headers, r => r.Source).Select(h => (h.Pattern, h.Rule.Headers)).ToList(),
            Cors = Compiled(spec.Cors, r => r.Source).Select(c => (c.Pattern, Policy(c.Rule))).ToList(),
            RateLimits = rateLimits,
            SecurityOverrides = overrides,
            SecurityDefaults = DefaultSecurityHeaders
                .Where(kv => !removed.Contains(kv.Key) && !overrides.Any(o => o.Key.Equals(kv.Key, StringComparison.OrdinalIgnoreCase)))
                .ToList(),
            Hsts = hsts,
            Limits = spec.Limits,
            ForceHttps = spec.ForceHttps,
            CleanUrls = spec.CleanUrls,
            TrailingSlash = spec.TrailingSlash,
        };
    }

    private static List<(PathPattern Pattern, T Rule)> Compiled<T>(IEnumerable<T> rules, Func<T, string> source) =>
        rules.Select(rule => (Pattern: Pattern(source(rule)), Rule: rule)).Where(r => r.Pattern is not null)
            .Select(r => (r.Pattern!, r.Rule)).ToList();

    // The manifest loader rejected bad patterns already; a spec stored by an older version that no longer
    // compiles loses that one rule rather than the whole app.
    private static PathPattern? Pattern(string source) => PathPattern.TryCompile(source, out _);

    private static CorsPolicy Policy(CorsRule rule)
    {
        var builder = new CorsPolicyBuilder();
        if (rule.Origins.Contains("*"))
        {
            builder.AllowAnyOrigin();
        }
        else
        {
            builder.WithOrigins([.. rule.Origins]);
        }
        builder.WithMethods([.. rule.Methods]);
        if (rule.Headers.Count == 0)
        {
            builder.AllowAnyHeader();
        }
        else
        {
            builder.WithHeaders([.. rule.Headers]);
        }
        if (rule.ExposeHeaders.Count > 0)
        {
            builder.WithExposedHeaders([.. rule.ExposeHeaders]);
        }
        if (rule.Credentials)
        {
            builder.AllowCredentials();
        }
        builder.SetPreflightMaxAge(rule.MaxAge);
        return builder.Build();
    }
}
