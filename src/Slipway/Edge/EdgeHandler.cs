using System.Diagnostics;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Slipway.Manifests;

namespace Slipway.Edge;

/// <summary>Every request on the edge's ports, in this order:
///
///   Host ─► app ─► https redirect ─► trailing slash / clean URL / declared redirects ─► CORS preflight
///        ─► rate limits ─► body limit ─► rewrite ─► service by path ─► static file, or forward (least
///           outstanding instance; a refused connect or a lost idempotent request is retried once elsewhere)
///
/// Rewrites come after the filesystem: a file of a static output at the path is served as it is, and a page
/// fallback (a rewrite to an .html file, the SPA setup) never answers for a missing asset. A rewrite to a
/// host this edge serves is routed here, to that app, as if the request had arrived on that host.
///
/// Response headers (CORS, declared headers, security headers) are added as the response starts, whoever
/// writes it. Every request is counted in <see cref="AccessMetrics"/> and written to the <see cref="AccessLog"/>.</summary>
internal sealed class EdgeHandler(Routes routes, HttpForwarder forwarder, AccessMetrics metrics, AccessLog? accessLog,
    TrustedProxies? trusted = null, TimeProvider? clock = null, AcmeHttpChallenges? challenges = null, DomainPolicies? domains = null)
{
    private readonly TrustedProxies _trusted = trusted ?? TrustedProxies.None;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>The edge's TLS port when it serves one: where forceHttps sends plain HTTP requests.</summary>
    public int? HttpsPort { get; set; }

    /// <summary>Paths answered on every app host by a subsystem above the edge (<see cref="IEdgeHostPath"/>).</summary>
    public IReadOnlyList<IEdgeHostPath> HostPaths { get; set; } = [];

    /// <summary>Whether a certificate covers a hostname: forceHttps never redirects to a name TLS cannot serve.</summary>
    public Func<string, bool> ServesTls { get; set; } = _ => false;

    /// <summary>Whether a hostname has a certificate of its own (issued by ACME or copied in, not the development
    /// one): plain HTTP requests for it are redirected to HTTPS whatever the app declares.</summary>
    public Func<string, bool> HasOwnCertificate { get; set; } = _ => false;

    public async Task HandleAsync(HttpContext context)
    {
        RestoreConnectionTokens(context);
        var exchange = new EdgeExchange(context, RequestId(context.Request), Stopwatch.GetTimestamp());
        context.Response.Headers["X-Request-Id"] = exchange.RequestId;
        if (domains is not null && context.Request.IsHttps && domains.SendsHsts(context.Request.Host.Host))
        {
            exchange.DomainHsts = DomainPolicies.Hsts;
        }
        // The rules of the app that finally answers (after a rewrite to another app's host, that app's).
        context.Response.OnStarting(EdgeExchange.ApplyResponseHeadersAsync, exchange);
        try
        {
            await RouteAsync(context, exchange, hops: 0);
        }
        finally
        {
            Record(exchange);
        }
    }

    /// <summary>Puts back the Connection tokens Kestrel dropped ("keep-alive, X-Foo" arrives as "keep-alive"), so
    /// every forwarding path drops the fields they name (RFC 9110 §7.6.1). Once per request, before any rewrite.</summary>
    private static void RestoreConnectionTokens(HttpContext context)
    {
        if (context.Features.Get<IConnectionTokensFeature>() is { } capture && context.Features.Get<IHttpRequestFeature>() is { } request &&
            capture.TryTake(request.Method, request.RawTarget, out var tokens))
        {
            context.Request.Headers.Connection = string.Join(", ", tokens);
        }
    }

    private async Task RouteAsync(HttpContext context, EdgeExchange exchange, int hops)
    {
        var request = context.Request;
        var host = request.Host.Value ?? "";
        if (hops == 0 && (challenges is not null || domains is not null) && await DomainAnswerAsync(context, exchange, host))
        {
            return;
        }
        var app = routes.Current.Match(host);
        if (app is null)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "No app here",
                $"No app is deployed at {host}. Run 'slipway apps' to see the apps and their URLs.");
            return;
        }
        // After a rewrite from another app (hops > 0), that app's CORS result stays unless this app's rules match.
        exchange.App = app;
        if (app.Stopped)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "App stopped",
                $"{app.Ref} is stopped (slipway start {app.Ref.Flags}).");
            return;
        }
        if (app.Starting)
        {
            context.Response.Headers.RetryAfter = "5";
            await ErrorPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "App starting",
                $"{app.Ref} is starting; try again in a few seconds ('slipway status {app.Ref.Flags}' shows its progress).");
            return;
        }
        var path = request.Path.Value ?? "/";
        if (hops == 0 && HostPaths.Count > 0 && HostPaths.FirstOrDefault(h => h.Path == path) is { } own)
        {
            exchange.Path = path;
            exchange.Route = path;
            await own.HandleAsync(context, app.App);
            return;
        }
        var rules = app.RulesFor(path);
        exchange.Path = path;

        // Only a browser's own request is redirected: on a rewrite from another app the browser never sees this host.
        if (hops == 0 && !request.IsHttps && HttpsPort is { } httpsPort && (rules.ForceHttps ? ServesTls(request.Host.Host) : HasOwnCertificate(request.Host.Host)))
        {
            var authority = request.Host.Host + (httpsPort == 443 ? "" : $":{httpsPort}");
            Redirect(context, StatusCodes.Status308PermanentRedirect, $"https://{authority}{RawTarget(context)}");
            return;
        }

        string? rewritten = null;
        if (!rules.PathRulesEmpty)
        {
            if (SlashRedirect(rules, path) is { } canonical)
            {
                // From the decoded path: encoded again, so "/café/" goes to "/caf%C3%A9" and "/a%25b/" keeps its "%25".
                Redirect(context, StatusCodes.Status308PermanentRedirect, WithQuery(new PathString(canonical).ToUriComponent(), request.QueryString));
                return;
            }
            foreach (var (pattern, rule) in rules.Redirects)
            {
                if (pattern.Match(path) is { } match)
                {
                    exchange.Route = rule.Source;
                    Redirect(context, rule.StatusCode, WithQuery(PathPattern.Substitute(rule.Destination, match), request.QueryString));
                    return;
                }
            }
            foreach (var (pattern, policy) in rules.Cors)
            {
                if (!request.Headers.ContainsKey("Origin") || pattern.Match(path) is null)
                {
                    continue;
                }
                var result = CorsHeaders.Evaluate(context, policy);
                if (result.IsPreflightRequest)
                {
                    exchange.Route = pattern.Source;
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    exchange.Cors = result;
                    return;
                }
                exchange.Cors = result;
                break;
            }
            foreach (var (pattern, rule, limiter) in rules.RateLimits)
            {
                if (pattern.Match(path) is null)
                {
                    continue;
                }
                exchange.ClientAddress ??= _trusted.ClientAddress(context);
                using var lease = limiter.AttemptAcquire(exchange.ClientAddress);
                if (!lease.IsAcquired)
                {
                    exchange.Route = rule.Source;
                    var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : rule.Window;
                    context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await ErrorPages.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests",
                        $"At most {rule.Limit} requests per {Durations.Format(rule.Window)} are allowed here; try again in {context.Response.Headers.RetryAfter} s.");
                    return;
                }
            }
            foreach (var (pattern, rule) in rules.Rewrites)
            {
                if (pattern.Match(path) is { } match)
                {
                    var destination = PathPattern.Substitute(rule.Destination, match);
                    if (!FilesystemFirst(app, rules, path, destination))
                    {
                        exchange.Route = rule.Source;
                        rewritten = destination;
                    }
                    break;
                }
            }
        }

        if (!LimitBody(context, rules.Limits.MaxBodySize))
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
                $"{app.App} accepts request bodies up to {Manifests.ByteSizes.Format(rules.Limits.MaxBodySize)} (routes.limits.maxBodySize).");
            return;
        }

        string? pathAndQuery = null;
        if (rewritten is not null)
        {
            if (!rewritten.StartsWith('/'))
            {
                if (Uri.TryCreate(rewritten, UriKind.Absolute, out var url) && routes.Current.Match(url.Host) is not null)
                {
                    await RouteInsideAsync(context, exchange, url, hops);
                    return;
                }
                exchange.Service = "external";
                await ForwardExternalAsync(context, exchange, rewritten);
                return;
            }
            var query = rewritten.IndexOf('?');
            path = query < 0 ? rewritten : rewritten[..query];
            pathAndQuery = new PathString(path).ToUriComponent() + MergeQuery(query < 0 ? "" : rewritten[query..], request.QueryString);
        }

        var service = app.MatchPath(path);
        if (service is null)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status404NotFound, "Not found", $"No service of {app.App} answers {path}.");
            return;
        }
        exchange.Service = service.Name;
        if (exchange.Route == "-")
        {
            exchange.Route = service.PathPrefix;
        }
        if (service.Site is { } site)
        {
            await site.ServeAsync(context, path, rules.CleanUrls);
            return;
        }
        await ForwardAsync(context, exchange, app, service, path, pathAndQuery ?? RawTarget(context));
    }

    /// <summary>What the edge answers itself for a custom domain before any app rule: an ACME HTTP-01 challenge
    /// (over plain HTTP, never redirected), and a redirect-from name's 308 to its domain. True when answered.</summary>
    private async Task<bool> DomainAnswerAsync(HttpContext context, EdgeExchange exchange, string host)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (challenges?.Answer(host, path) is { } keyAuthorization)
        {
            exchange.Path = path;
            exchange.Route = AcmeHttpChallenges.PathPrefix;
            var body = System.Text.Encoding.ASCII.GetBytes(keyAuthorization);
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body);
            return true;
        }
        if (domains?.RedirectTarget(request.Host.Host) is { } target)
        {
            exchange.Path = path;
            var secure = request.IsHttps || (HttpsPort is not null && HasOwnCertificate(target));
            var port = secure ? (request.IsHttps ? request.Host.Port : HttpsPort) : request.Host.Port;
            var authority = target + (port is null || port == (secure ? 443 : 80) ? "" : $":{port}");
            Redirect(context, StatusCodes.Status308PermanentRedirect, $"{(secure ? "https" : "http")}://{authority}{RawTarget(context)}");
            return true;
        }
        return false;
    }

    private async Task ForwardAsync(HttpContext context, EdgeExchange exchange, AppRoute app, ServiceRoute service, string path, string target)
    {
        var backend = service.Pick();
        // Nothing was sent when a connect fails, so any request without a body may go elsewhere. A request that
        // was sent and then lost its connection (the instance died mid-way) is retried only when it is idempotent.
        var hasBody = HttpForwarder.HasBody(context.Request);
        var method = context.Request.Method;
        var idempotent = !hasBody && (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));
        var limits = app.RulesFor(exchange.Path).Limits;
        for (var attempt = 0; ; attempt++)
        {
            if (backend is null)
            {
                // Instances still starting (after a platform restart, a start) or all failing their checks:
                // worth trying again shortly.
                context.Response.Headers.RetryAfter = "5";
                await ErrorPages.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                    $"{app.App}/{service.Name} has no healthy instance right now (starting, or failing its health check). " +
                    $"'slipway status --app {app.App}' shows why.");
                return;
            }
            backend.Enter();
            ForwarderError error;
            try
            {
                error = await forwarder.ForwardAsync(context, new ForwardTarget(backend.BaseUri, target), limits);
            }
            finally
            {
                backend.Leave();
            }
            switch (error)
            {
                case ForwarderError.None or ForwarderError.ClientDisconnected or ForwarderError.ResponseFailed:
                    return;
                case ForwarderError.ConnectFailed or ForwarderError.ConnectTimedOut when attempt == 0 && !hasBody:
                case ForwarderError.RequestFailed when attempt == 0 && idempotent && !context.Response.HasStarted:
                    backend.Healthy = false;
                    // The table may have been swapped meanwhile (a deploy switched): retry on the current one.
                    if (routes.Current.Match(context.Request.Host.Value ?? "")?.MatchPath(path) is { Site: null } current)
                    {
                        service = current;
                    }
                    backend = service.Pick(exclude: backend);
                    continue;
                default:
                    if (error is ForwarderError.ConnectFailed or ForwarderError.ConnectTimedOut)
                    {
                        backend.Healthy = false;
                    }
                    await WriteErrorAsync(context, error, $"{app.App}/{service.Name}", limits);
                    return;
            }
        }
    }

    /// <summary>The filesystem comes before rewrites (as on Vercel, Netlify and Firebase): a file of the static
    /// output at <paramref name="path"/> is served as it is, and a rewrite to a page (the SPA fallback "/(.*)" to
    /// "/index.html", "/" or, with cleanUrls, "/index") does not answer for an asset that is missing: that stays a
    /// 404. A destination is a page when it resolves to an .html file of the site; a path is an asset when its last
    /// segment has a known file extension, so client routes such as /users/john.doe or /v1.2/docs still get the page.</summary>
    private static bool FilesystemFirst(AppRoute app, EdgeRules rules, string path, string destination)
    {
        if (app.MatchPath(path)?.Site is { } site && site.HasFile(path, rules.CleanUrls))
        {
            return true;
        }
        if (!destination.StartsWith('/') || !StaticSite.IsAsset(path))
        {
            return false;
        }
        var page = destination.Split('?')[0];
        return app.MatchPath(page)?.Site is { } target
            ? target.IsPage(page, rules.CleanUrls)
            : StaticSite.IsHtml(page);
    }

    /// <summary>A rewrite to a host of this edge (another app's *.localhost name or custom host, with any port):
    /// routed here as if the request had arrived on that host, path and query kept, so that app's own rules
    /// apply, instead of a DNS lookup of a name that may not resolve. Two hops at most: a loop is an error.</summary>
    private async Task RouteInsideAsync(HttpContext context, EdgeExchange exchange, Uri url, int hops)
    {
        if (hops >= 2)
        {
            await ErrorPages.WriteAsync(context, StatusCodes.Status508LoopDetected, "Rewrite loop",
                $"Rewrites between apps of this edge went around more than twice (last to {url.Host}); check the apps' rewrites.");
            return;
        }
        var request = context.Request;
        var query = MergeQuery(url.Query, request.QueryString);
        request.Host = url.IsDefaultPort ? new HostString(url.Host) : new HostString(url.Host, url.Port);
        request.Path = PathString.FromUriComponent(url.AbsolutePath);
        request.QueryString = new QueryString(query.Length > 1 ? query : "");
        if (context.Features.Get<IHttpRequestFeature>() is { } feature)
        {
            feature.RawTarget = url.AbsolutePath + request.QueryString;
        }
        exchange.Route = "-";
        (exchange.PassedThrough ??= []).Add((exchange.App!.RulesFor(exchange.Path), exchange.Path));
        await RouteAsync(context, exchange, hops + 1);
    }

    private async Task ForwardExternalAsync(HttpContext context, EdgeExchange exchange, string url)
    {
        var destination = new Uri(url);
        var target = new ForwardTarget(new Uri(destination.GetLeftPart(UriPartial.Authority)),
            WithQuery(destination.PathAndQuery, context.Request.QueryString), destination.Authority);
        var limits = exchange.App!.RulesFor(exchange.Path).Limits;
        var error = await forwarder.ForwardAsync(context, target, limits);
        if (error is not (ForwarderError.None or ForwarderError.ClientDisconnected or ForwarderError.ResponseFailed))
        {
            await WriteErrorAsync(context, error, destination.Authority, limits);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, ForwarderError error, string upstream, Manifests.EdgeLimitsSpec limits) => error switch
    {
        ForwarderError.RequestBodyTooLarge => ErrorPages.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"The request body is larger than {Manifests.ByteSizes.Format(limits.MaxBodySize)} (routes.limits.maxBodySize)."),
        ForwarderError.RequestBodyInvalid => ErrorPages.WriteAsync(context, StatusCodes.Status400BadRequest, "Bad request body",
            "The request body is malformed (its chunked framing, or shorter than its Content-Length); the app was not at fault."),
        ForwarderError.RequestBodyTimedOut => ErrorPages.WriteAsync(context, StatusCodes.Status408RequestTimeout, "Request timeout",
            "The request body arrived too slowly; send it faster or in one go."),
        ForwarderError.ConnectTimedOut => ErrorPages.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Gateway timeout",
            $"{upstream} did not accept a connection within {Durations.Format(limits.ConnectTimeout)}."),
        ForwarderError.ResponseTimedOut => ErrorPages.WriteAsync(context, StatusCodes.Status504GatewayTimeout, "Gateway timeout",
            $"{upstream} did not start answering within {Durations.Format(limits.ResponseTimeout)} (routes.limits.responseTimeout)."),
        ForwarderError.ResponseInvalid => ErrorPages.WriteAsync(context, StatusCodes.Status502BadGateway, "Bad gateway",
            $"{upstream} answered with a malformed HTTP response head; the edge refused it."),
        _ => ErrorPages.WriteAsync(context, StatusCodes.Status502BadGateway, "Bad gateway", $"{upstream} did not answer ({error})."),
    };

    /// <summary>Applies the app's body limit: false when the declared length is already over it. A chunked
    /// body is cut by Kestrel as it crosses the limit.</summary>
    private static bool LimitBody(HttpContext context, long max)
    {
        if (context.Request.ContentLength > max)
        {
            return false;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = max;
        }
        return true;
    }

    private static string? SlashRedirect(EdgeRules rules, string path)
    {
        if (rules.CleanUrls && path.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            var clean = path[..^5];
            return clean.EndsWith("/index", StringComparison.OrdinalIgnoreCase) ? clean[..^5] : clean;
        }
        if (path == "/")
        {
            return null;
        }
        if (rules.TrailingSlash == false && path.EndsWith('/'))
        {
            return path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/";
        }
        if (rules.TrailingSlash == true && !path.EndsWith('/') && !path[(path.LastIndexOf('/') + 1)..].Contains('.'))
        {
            return path + "/";
        }
        return null;
    }

    private static void Redirect(HttpContext context, int status, string location)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = AsciiOnly(location);
        context.Response.Headers.CacheControl = status is 301 or 308 ? "public, max-age=3600" : "no-store";
    }

    /// <summary>A header value the edge builds from a request or a manifest goes out as ASCII: anything else (a
    /// capture of a decoded path, a destination with "café" in it) is percent-encoded as UTF-8, as browsers do.</summary>
    private static string AsciiOnly(string value)
    {
        if (value.AsSpan().IndexOfAnyExceptInRange('!', '~') < 0)
        {
            return value;
        }
        var builder = new System.Text.StringBuilder(value.Length + 16);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is >= '!' and <= '~')
            {
                builder.Append(c);
                continue;
            }
            var length = char.IsSurrogatePair(value, i)
                ? System.Text.Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), bytes)
                : System.Text.Encoding.UTF8.GetBytes(value.AsSpan(i, 1), bytes);
            foreach (var b in bytes[..length])
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    private static string WithQuery(string destination, QueryString query) =>
        !query.HasValue ? destination : destination.Contains('?') ? destination + "&" + query.Value![1..] : destination + query.Value;

    /// <summary>The rewrite's own query ("?a=1" or "") followed by the client's.</summary>
    private static string MergeQuery(string own, QueryString client) =>
        !client.HasValue ? own : own.Length > 1 ? own + "&" + client.Value![1..] : client.Value!;

    private static string RawTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return raw is { Length: > 0 } && raw[0] == '/' ? raw : context.Request.PathBase + context.Request.Path + context.Request.QueryString;
    }

    /// <summary>The client's X-Request-Id when it is a sane token (so tracing across services works), else a new one.</summary>
    private static string RequestId(HttpRequest request)
    {
        var given = request.Headers["X-Request-Id"];
        if (given.Count == 1 && given[0] is { Length: > 0 and <= 128 } id && id.All(c => c is > ' ' and < '\u007f'))
        {
            return id;
        }
        return RequestIds.Next();
    }

    private void Record(EdgeExchange exchange)
    {
        var context = exchange.Context;
        var elapsed = exchange.Elapsed;
        var status = context.Response.StatusCode;
        var app = exchange.App?.App ?? "-";
        metrics.Record(exchange.App, exchange.Service, exchange.Route, status, elapsed);
        if (accessLog is not null && exchange.App is not null)
        {
            accessLog.Write(app, exchange.Service == "-" ? null : exchange.Service, _clock.GetUtcNow(),
                new AccessEntry(exchange.RequestId, context.Request.Method, exchange.Path, status, Math.Round(elapsed.TotalMilliseconds, 3),
                    exchange.ClientAddress ?? _trusted.ClientAddress(context), exchange.Route, context.Request.Protocol));
        }
    }
}
