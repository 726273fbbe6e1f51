using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.HttpOverrides;

namespace Slipway.Api;

/// <summary>What every request to the API goes through before anything else:
/// - behind the edge (the platform host), the client's address and scheme come from the edge's X-Forwarded-*
///   headers, believed only from loopback (the edge);
/// - over TCP the Host must be one of the platform's names (localhost, 127.0.0.1, ::1 or the platform host), so a
///   page on another site whose DNS name was re-pointed at this machine (DNS rebinding) cannot use the API;
/// - responses carry security headers, never CORS headers (no other site's page may read /v1), and are never cached;
/// - request bodies are limited (uploads raise their own limit).</summary>
internal static class ApiHardening
{
    /// <summary>Config imports are at most 1 MiB; JSON bodies get a few times that.</summary>
    public const long MaxBody = 8L * 1024 * 1024;

    public static void UseApiHardening(this WebApplication app, string platformHost)
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, ForwardLimit = 1 };
        app.UseForwardedHeaders(forwarded);
        var allowed = new HashSet<string>(["localhost", "127.0.0.1", "::1", "[::1]", platformHost], StringComparer.OrdinalIgnoreCase);
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            headers.CacheControl = "no-store";
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxBody;
            }
            var overUnixSocket = context.Features.Get<IConnectionSocketFeature>()?.Socket is { AddressFamily: AddressFamily.Unix };
            if (!overUnixSocket && !allowed.Contains(context.Request.Host.Host))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                await context.Response.WriteAsJsonAsync(new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = 421,
                    Title = "Misdirected request",
                    Detail = $"This platform answers as {platformHost} (or localhost), not as '{context.Request.Host.Host}'.",
                }, options: null, contentType: "application/problem+json");
                return;
            }
            await next(context);
        });
    }
}
