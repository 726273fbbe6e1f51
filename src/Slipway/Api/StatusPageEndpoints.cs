using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Monitoring.StatusPages;

namespace Slipway.Api;

internal sealed record StatusPageCreateBody(string? Name, string? Host, IReadOnlyList<string>? Apps, string? Title);

internal sealed record StatusNoteBody(string? Text, string? Incident, string? Component, bool Resolved);

/// <summary>/v1/status-pages: create, list, remove and note (manage-alerts over the platform: a page spans apps; listing
/// needs platform-wide read). <see cref="UseStatusPages"/> answers a status page's hostname itself, before anything
/// else of the API runs.</summary>
internal static class StatusPageEndpoints
{
    public static void MapStatusPageApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/status-pages", (StatusPages pages) => pages.List()).RequireAccess(Permission.Read, "status-pages.list");
        api.MapPost("/v1/status-pages", (StatusPageCreateBody body, StatusPages pages, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, $"{body.Name} {body.Host}");
            return pages.Create(body.Name, body.Host, body.Apps ?? [], body.Title);
        }).RequireAccess(Permission.ManageAlerts, "status-pages.create");
        api.MapDelete("/v1/status-pages/{name}", (string name, StatusPages pages, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return pages.Remove(name);
        }).RequireAccess(Permission.ManageAlerts, "status-pages.remove");
        api.MapPost("/v1/status-pages/{name}/notes", (string name, StatusNoteBody body, StatusPages pages, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, $"{name} {body.Incident ?? body.Component}");
            return pages.Note(name, body.Text, body.Incident, body.Component, body.Resolved, AccessControl.Caller(context).Name);
        }).RequireAccess(Permission.ManageAlerts, "status-pages.note");
    }

    /// <summary>A request whose Host is a status page's hostname (the edge routes those to the API's loopback
    /// listener) gets the page at GET or HEAD "/", a 404 for any other path and a 405 for any other method, and never
    /// reaches the API's hardening, access control or endpoints: nothing of the API answers under that name, with or
    /// without credentials. Must come before UseApiHardening (whose host allow-list would refuse the name).</summary>
    public static void UseStatusPages(this WebApplication app) => app.Use(async (context, next) =>
    {
        var pages = context.RequestServices.GetRequiredService<StatusPages>();
        var host = context.Request.Host.Host;
        if (pages.PageAt(host) is null)
        {
            await next(context);
            return;
        }
        var response = context.Response;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.ContentSecurityPolicy = StatusPageRenderer.ContentSecurityPolicy;
        var method = context.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method))
        {
            response.Headers.Allow = "GET, HEAD";
            await Plain(context, StatusCodes.Status405MethodNotAllowed, "Only GET and HEAD are answered here.\n");
            return;
        }
        if (context.Request.Path.Value is not ("/" or "" or "/index.html") || pages.Render(host) is not { } html)
        {
            await Plain(context, StatusCodes.Status404NotFound, "Not found: this hostname serves its status page at /.\n");
            return;
        }
        var body = Encoding.UTF8.GetBytes(html);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "public, max-age=30";
        response.ContentLength = body.Length;
        if (HttpMethods.IsGet(method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    });

    private static async Task Plain(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.WriteAsync(text, context.RequestAborted);
        }
    }
}
