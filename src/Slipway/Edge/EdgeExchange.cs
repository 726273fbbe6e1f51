using System.Diagnostics;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>What the edge learned about one request on its way through: the app and rules it matched and what
/// the response must carry. One small object per request, handed to the response-start callback as state.</summary>
internal sealed class EdgeExchange(HttpContext context, string requestId, long startedAt)
{
    public HttpContext Context { get; } = context;
    public string RequestId { get; } = requestId;
    public long StartedAt { get; } = startedAt;
    public AppRoute? App { get; set; }
    public string Service { get; set; } = "-";
    public string Route { get; set; } = "-";
    public string? ClientAddress { get; set; }

    /// <summary>Path the header rules match (the path the client asked for, before rewrites).</summary>
    public string Path { get; set; } = "/";
    public CorsResult? Cors { get; set; }

    /// <summary>The apps a rewrite passed the request through before <see cref="App"/> (another app of this edge),
    /// each with the path its rules matched: their declared headers apply first, the answering app's on top.</summary>
    public List<(EdgeRules Rules, string Path)>? PassedThrough { get; set; }

    /// <summary>The Strict-Transport-Security value a domain that opted in sends over TLS, whatever its app declares.</summary>
    public string? DomainHsts { get; set; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(StartedAt);

    /// <summary>Runs as the response starts, whoever writes it (instance, static file, the edge's own pages):
    /// CORS (of the last app whose rules matched it), the declared headers of every app a rewrite passed the request
    /// through and then the answering app's (the later wins), then security headers.</summary>
    public static Task ApplyResponseHeadersAsync(object state)
    {
        var exchange = (EdgeExchange)state;
        var response = exchange.Context.Response;
        var headers = response.Headers;
        if (exchange.DomainHsts is { } domainHsts)
        {
            headers.StrictTransportSecurity = domainHsts;
        }
        if (exchange.App?.Rules is not { } rules)
        {
            return Task.CompletedTask;
        }
        // The app's declared headers are for the app's responses and files: the edge's own error pages get
        // only the security defaults.
        if (!ErrorPages.IsErrorPage(exchange.Context))
        {
            if (exchange.Cors is { } cors)
            {
                CorsHeaders.Apply(cors, response);
            }
            var own = headers.CacheControl;
            foreach (var (passed, path) in exchange.PassedThrough ?? [])
            {
                ApplyDeclared(passed, path, headers);
            }
            ApplyDeclared(rules, exchange.Path, headers);
            // A declared Cache-Control ("/assets/(.*)": immutable, a year) is for the files it names, not for a 404
            // or an error at that path (a site's own 404.html, an app's 500): those keep their own, or are not
            // cached at all, so a missing file does not stay missing in browsers and CDNs after the next deploy.
            var status = response.StatusCode;
            if (status is not (>= 200 and < 300 or 304))
            {
                headers.CacheControl = own.Count > 0 ? own : status >= 400 ? "no-store" : default;
            }
        }
        foreach (var (name, value) in rules.SecurityDefaults)
        {
            if (!headers.ContainsKey(name))
            {
                headers[name] = value;
            }
        }
        if (rules.Hsts is { } hsts && exchange.Context.Request.IsHttps && !headers.ContainsKey("Strict-Transport-Security"))
        {
            headers.StrictTransportSecurity = hsts;
        }
        return Task.CompletedTask;
    }

    private static void ApplyDeclared(EdgeRules rules, string path, IHeaderDictionary headers)
    {
        foreach (var (pattern, values) in rules.Headers)
        {
            if (pattern.Match(path) is not null)
            {
                foreach (var header in values)
                {
                    headers[header.Key] = header.Value;
                }
            }
        }
        foreach (var (name, value) in rules.SecurityOverrides)
        {
            headers[name] = value;
        }
    }
}

/// <summary>Writes a CORS evaluation onto a response, as ASP.NET Core's CorsService.ApplyResult does.</summary>
internal static class CorsHeaders
{
    private static readonly CorsService Service = new(Microsoft.Extensions.Options.Options.Create(new CorsOptions()),
        Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

    public static CorsResult Evaluate(HttpContext context, CorsPolicy policy) => Service.EvaluatePolicy(context, policy);

    public static void Apply(CorsResult result, HttpResponse response) => Service.ApplyResult(result, response);
}
