namespace Slipway.Manifests;

/// <summary>Reads the top-level "routes": rewrites, redirects and headers in vercel.json's shape. Checks shapes
/// and formats only; how sources match is the edge's business.</summary>
internal static class RoutesReader
{
    private const string DestinationExpected = "a path like \"/index.html\" or a URL like \"https://api.example.com/:path*\"";

    public static RoutesSpec Read(ManifestObject root)
    {
        if (root.Object("routes", ManifestKeys.RoutesKeys) is not { } routes)
            return new RoutesSpec();

        var spec = new RoutesSpec
        {
            Rewrites = routes.Objects("rewrites", ManifestKeys.RewriteKeys,
                    "{ \"source\": \"/api/:path*\", \"destination\": \"https://api.example.com/:path*\" }")
                .Select(ReadRewrite).OfType<RouteRewrite>().ToList(),
            Redirects = routes.Objects("redirects", ManifestKeys.RedirectKeys,
                    "{ \"source\": \"/old\", \"destination\": \"/new\", \"permanent\": true }")
                .Select(ReadRedirect).OfType<RouteRedirect>().ToList(),
            Headers = routes.Objects("headers", ManifestKeys.HeaderRuleKeys,
                    "{ \"source\": \"/widget.js\", \"headers\": [{ \"key\": \"Cache-Control\", \"value\": \"public, max-age=3600\" }] }")
                .Select(ReadHeaders).OfType<RouteHeaders>().ToList(),
            CleanUrls = routes.Bool("cleanUrls") ?? false,
            TrailingSlash = routes.Bool("trailingSlash"),
        };
        return EdgeRulesReader.Read(routes, spec);
    }

    private static RouteRewrite? ReadRewrite(ManifestObject rewrite)
    {
        var source = Source(rewrite);
        var destination = Destination(rewrite);
        return source is null || destination is null ? null : new RouteRewrite { Source = source, Destination = destination };
    }

    private static RouteRedirect? ReadRedirect(ManifestObject redirect)
    {
        var source = Source(redirect);
        var destination = Destination(redirect);
        var permanent = redirect.Bool("permanent");
        int? statusCode = null;
        if (redirect.Has("statusCode") && redirect.Int("statusCode", 300, 399) is { } code)
        {
            if (ManifestKeys.RedirectStatusCodes.Contains(code))
                statusCode = code;
            else
                redirect.Error("statusCode", $"expected one of {string.Join(", ", ManifestKeys.RedirectStatusCodes)}, got {code}");
        }

        if (redirect.Has("permanent") && redirect.Has("statusCode"))
            redirect.Error("statusCode", "give either \"permanent\" or \"statusCode\", not both");
        if (source is null || destination is null)
            return null;
        return new RouteRedirect
        {
            Source = source,
            Destination = destination,
            StatusCode = statusCode ?? (permanent == false ? 307 : 308),
        };
    }

    private static RouteHeaders? ReadHeaders(ManifestObject rule)
    {
        var source = Source(rule);
        if (!rule.Has("headers"))
            rule.Error("headers", "missing; expected a list like [{ \"key\": \"X-Frame-Options\", \"value\": \"DENY\" }]");
        var headers = new List<HeaderValue>();
        foreach (var header in rule.Objects("headers", ManifestKeys.HeaderKeys, "{ \"key\": \"X-Frame-Options\", \"value\": \"DENY\" }"))
        {
            var key = header.RequiredString("key", "a header name like \"Cache-Control\"");
            if (key is not null && !ManifestKeys.HeaderNamePattern().IsMatch(key))
            {
                header.Error("key", $"expected a header name (letters, digits and \"-\"), got {ManifestObject.Quote(key)}");
                key = null;
            }

            var value = header.RequiredString("value", "the header's value");
            if (key is not null && value is not null)
                headers.Add(new HeaderValue(key, value));
        }

        if (rule.Raw("headers") is { ValueKind: System.Text.Json.JsonValueKind.Array } list && list.GetArrayLength() == 0)
            rule.Error("headers", "expected at least one header; remove the rule if it sets none");
        return source is null ? null : new RouteHeaders { Source = source, Headers = headers };
    }

    private static string? Source(ManifestObject rule) => EdgeRulesReader.Source(rule);

    private static string? Destination(ManifestObject rule) =>
        Checked(rule, "destination", DestinationExpected, ManifestKeys.DestinationPattern().IsMatch);

    private static string? Checked(ManifestObject rule, string key, string expected, Func<string, bool> valid)
    {
        var value = rule.RequiredString(key, expected);
        if (value is null || valid(value))
            return value;
        rule.Error(key, $"expected {expected}, got {ManifestObject.Quote(value)}");
        return null;
    }
}
