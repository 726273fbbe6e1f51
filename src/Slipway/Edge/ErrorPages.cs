using System.Net;
using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>The edge's own answers (no such app, app stopped, no healthy instance, upstream failed, limits):
/// HTML for browsers (an Accept naming text/html), RFC 9457 <c>application/problem+json</c> for API clients. They are never cached
/// (<c>no-store</c>) and never carry the app's declared headers, CORS or Cache-Control
/// (<see cref="EdgeExchange.ApplyResponseHeadersAsync"/> sees <see cref="IsErrorPage"/>): a 502 cached for
/// an hour by a CDN would outlive the outage.</summary>
internal static class ErrorPages
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Features.Set(Marker.Instance);
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        if (WantsJson(context.Request))
        {
            context.Response.ContentType = "application/problem+json";
            await context.Response.WriteAsJsonAsync(new Problem("about:blank", title, status, detail), ProblemJson.Default.Problem, "application/problem+json",
                context.RequestAborted);
            return;
        }
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!doctype html><html><head><meta charset="utf-8"><title>{status} {WebUtility.HtmlEncode(title)}</title>
            <style>body{"{"}font-family:system-ui,sans-serif;margin:4rem auto;max-width:40rem;color:#222{"}"}</style></head>
            <body><h1>{status} {WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(detail)}</p><hr><small>slipway edge</small></body></html>
            """, context.RequestAborted);
    }

    /// <summary>Whether the edge itself wrote this response (rather than the app or its files).</summary>
    public static bool IsErrorPage(HttpContext context) => context.Features.Get<Marker>() is not null;

    /// <summary>HTML only for a client that names text/html in its Accept (browsers navigating do, before any JSON);
    /// everyone else, including fetch() with its default "*/*" and clients that send no Accept, gets problem+json.</summary>
    private static bool WantsJson(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        var html = accept.IndexOf("text/html", StringComparison.OrdinalIgnoreCase);
        var json = accept.IndexOf("json", StringComparison.OrdinalIgnoreCase);
        return html < 0 || (json >= 0 && json < html);
    }

    private sealed class Marker
    {
        public static readonly Marker Instance = new();
    }

    internal sealed record Problem(string Type, string Title, int Status, string Detail);
}
