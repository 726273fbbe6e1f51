using System.Net;
using Microsoft.AspNetCore.Http;

namespace Slipway.Edge;

/// <summary>The edge's own answers (no such app, no healthy instance, upstream failed): HTML for browsers,
/// JSON for clients that ask for it.</summary>
internal static class ErrorPages
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            await context.Response.WriteAsJsonAsync(new { status, title, detail }, context.RequestAborted);
            return;
        }
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!doctype html><html><head><meta charset="utf-8"><title>{status} {WebUtility.HtmlEncode(title)}</title>
            <style>body{"{"}font-family:system-ui,sans-serif;margin:4rem auto;max-width:40rem;color:#222{"}"}</style></head>
            <body><h1>{status} {WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(detail)}</p><hr><small>slipway edge</small></body></html>
            """, context.RequestAborted);
    }
}
