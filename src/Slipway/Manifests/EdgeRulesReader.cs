using System.Text.Json;

namespace Slipway.Manifests;

/// <summary>Reads the edge rules under "routes" beyond vercel.json's shape: cors, rateLimits,
/// securityHeaders, limits and forceHttps.</summary>
internal static class EdgeRulesReader
{
    private static readonly Dictionary<string, RateLimitWindow> Modes = new()
    {
        ["fixed"] = RateLimitWindow.Fixed,
        ["sliding"] = RateLimitWindow.Sliding,
    };

    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS",
    };

    public static RoutesSpec Read(ManifestObject routes, RoutesSpec spec) => spec with
    {
        Cors = routes.Objects("cors", ManifestKeys.CorsKeys,
                "{ \"source\": \"/api/:path*\", \"origins\": [\"https://app.example.com\"], \"credentials\": true }")
            .Select(ReadCors).OfType<CorsRule>().ToList(),
        RateLimits = routes.Objects("rateLimits", ManifestKeys.RateLimitKeys,
                "{ \"source\": \"/api/:path*\", \"limit\": 100, \"window\": \"15m\" }")
            .Select(ReadRateLimit).OfType<RateLimitRule>().ToList(),
        SecurityHeaders = ReadSecurityHeaders(routes),
        Limits = ReadLimits(routes),
        ForceHttps = routes.Bool("forceHttps") ?? false,
    };

    /// <summary>A source pattern that compiles, or null with the reason reported at the rule's "source".</summary>
    public static string? Source(ManifestObject rule)
    {
        var source = rule.RequiredString("source", "a path pattern starting with \"/\" like \"/api/:path*\"");
        if (source is null)
            return null;
        if (PathPattern.TryCompile(source, out var error) is null)
        {
            rule.Error("source", $"{error}; patterns look like \"/api/:path*\", \"/blog/:slug\" or \"/(.*)\"");
            return null;
        }

        return source;
    }

    private static CorsRule? ReadCors(ManifestObject rule)
    {
        var source = Source(rule);
        var origins = Strings(rule, "origins", "a list of origins like [\"https://app.example.com\"] or [\"*\"]", required: true);
        foreach (var origin in origins ?? [])
        {
            if (origin != "*" && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" &&
                    uri.AbsolutePath == "/" && !origin.EndsWith('/')))
                rule.Error("origins", $"expected an origin like \"https://app.example.com\" (scheme and host, no path), got {ManifestObject.Quote(origin)}");
        }

        var credentials = rule.Bool("credentials") ?? false;
        if (credentials && origins is not null && origins.Contains("*"))
            rule.Error("credentials", "browsers refuse credentials with the \"*\" origin; list the allowed origins instead");
        var methods = Strings(rule, "methods", "a list of methods like [\"GET\", \"POST\"]");
        foreach (var method in methods ?? [])
        {
            if (!Methods.Contains(method))
                rule.Error("methods", $"expected HTTP methods in capitals ({string.Join(", ", Methods)}), got {ManifestObject.Quote(method)}");
        }

        var headers = Strings(rule, "headers", "a list of header names like [\"Content-Type\", \"Authorization\"]");
        var expose = Strings(rule, "exposeHeaders", "a list of header names like [\"X-Total-Count\"]");
        foreach (var (key, names) in new[] { ("headers", headers), ("exposeHeaders", expose) })
        {
            foreach (var name in names ?? [])
            {
                if (!ManifestKeys.HeaderNamePattern().IsMatch(name))
                    rule.Error(key, $"expected header names (letters, digits and \"-\"), got {ManifestObject.Quote(name)}");
            }
        }

        var maxAge = rule.Duration("maxAge");
        if (source is null || origins is null)
            return null;
        var cors = new CorsRule
        {
            Source = source,
            Origins = origins,
            Credentials = credentials,
            Headers = headers ?? [],
            ExposeHeaders = expose ?? [],
        };
        if (methods is not null)
            cors = cors with { Methods = methods };
        return maxAge is { } age ? cors with { MaxAge = age } : cors;
    }

    private static RateLimitRule? ReadRateLimit(ManifestObject rule)
    {
        var source = Source(rule);
        if (!rule.Has("limit"))
            rule.Error("limit", "missing; expected how many requests one client may make per window, like 100");
        var limit = rule.Int("limit", 1, 1_000_000);
        if (!rule.Has("window"))
            rule.Error("window", "missing; expected a duration like \"15m\" or \"1s\"");
        var window = rule.Duration("window");
        if (window is { } w && (w < TimeSpan.FromMilliseconds(100) || w > TimeSpan.FromDays(1)))
        {
            rule.Error("window", $"expected a window from 100ms to 24h, got \"{Durations.Format(w)}\"");
            window = null;
        }

        var mode = rule.Enum("mode", Modes) ?? RateLimitWindow.Fixed;
        return source is null || limit is null || window is null
            ? null
            : new RateLimitRule { Source = source, Limit = limit.Value, Window = window.Value, Mode = mode };
    }

    private static IReadOnlyDictionary<string, string?> ReadSecurityHeaders(ManifestObject routes)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (routes.Raw("securityHeaders") is not { } raw)
            return result;
        if (raw.ValueKind != JsonValueKind.Object)
        {
            routes.Error("securityHeaders",
                $"expected an object like {{ \"X-Frame-Options\": \"DENY\", \"Content-Security-Policy\": \"default-src 'self'\" }}, got {ManifestObject.Describe(raw)}");
            return result;
        }

        foreach (var property in raw.EnumerateObject())
        {
            const string key = "securityHeaders";
            if (!ManifestKeys.HeaderNamePattern().IsMatch(property.Name))
                routes.Error(key, $"expected header names (letters, digits and \"-\"), got {ManifestObject.Quote(property.Name)}");
            else if (property.Value.ValueKind == JsonValueKind.False)
                result[property.Name] = null;
            else if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } value &&
                     !value.Any(char.IsControl))
                result[property.Name] = value;
            else
                routes.Error(key, $"{property.Name}: expected the header's value as a string, or false to not send it, got {ManifestObject.Describe(property.Value)}");
        }

        return result;
    }

    private static EdgeLimitsSpec ReadLimits(ManifestObject routes)
    {
        var limits = new EdgeLimitsSpec();
        if (routes.Object("limits", ManifestKeys.LimitsKeys) is not { } raw)
            return limits;
        if (raw.String("maxBodySize", $"a size like {ByteSizes.Example}") is { } text)
        {
            if (ByteSizes.TryParse(text, out var bytes) && bytes > 0)
                limits = limits with { MaxBodySize = bytes };
            else
                raw.Error("maxBodySize", $"expected a size like {ByteSizes.Example}, got {ManifestObject.Quote(text)}");
        }

        if (raw.Duration("connectTimeout") is { } connect)
            limits = limits with { ConnectTimeout = connect };
        if (raw.Duration("responseTimeout") is { } response)
            limits = limits with { ResponseTimeout = response };
        return limits;
    }

    private static List<string>? Strings(ManifestObject rule, string key, string expected, bool required = false)
    {
        if (rule.Raw(key) is not { } raw)
        {
            if (required)
                rule.Error(key, $"missing; expected {expected}");
            return null;
        }

        if (raw.ValueKind != JsonValueKind.Array || raw.GetArrayLength() == 0 ||
            raw.EnumerateArray().Any(item => item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString())))
        {
            rule.Error(key, $"expected {expected}, got {ManifestObject.Describe(raw)}");
            return null;
        }

        return raw.EnumerateArray().Select(item => item.GetString()!).ToList();
    }
}
