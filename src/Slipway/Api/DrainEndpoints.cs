using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Access;
using Slipway.Monitoring;
using Slipway.State;

namespace Slipway.Api;

/// <param name="Url">An HTTPS drain's URL (a secret: sealed at rest, never echoed).</param>
/// <param name="Syslog">A syslog drain's tls://HOST:PORT or tcp://HOST:PORT.</param>
/// <param name="Headers">"Name: value" each (values are secrets).</param>
/// <param name="Ca">PEM certificates to trust for the drain's TLS (the CLI reads --ca FILE).</param>
internal sealed record DrainAddBody(string? Name, string? Url, string? Syslog, IReadOnlyList<string>? Headers, bool Access, bool Gzip, string? Ca);

/// <summary>/v1/apps/{app}/drains (an app environment's drains: reading needs read, adding and removing manage-drains,
/// an admin's) and /v1/drains (every drain the caller may read; drains of every app need manage-platform, an owner's).
/// Audit lines name the drain and its masked destination, never its URL or headers.</summary>
internal static class DrainEndpoints
{
    public static void MapDrainsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/drains", (Drains drains, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return drains.List().Where(d => me.Can(Permission.Read, d.App is null ? null : AppRef.Of(d.App, d.Env))).ToList();
        }).RequireSignedIn("drains.list");
        api.MapPost("/v1/drains", (DrainAddBody body, Drains drains, HttpContext context) => Add(body, null, drains, context))
            .RequireAccess(Permission.ManagePlatform, "drains.add");
        api.MapDelete("/v1/drains/{name}", (string name, Drains drains, HttpContext context) => Remove(name, null, drains, context))
            .RequireAccess(Permission.ManagePlatform, "drains.remove");

        var app = api.MapGroup("/v1/apps/{app}");
        app.MapGet("/drains", (string app, Store store, Drains drains, HttpContext context) =>
        {
            var scope = AppScope.Require(context, store, app).Ref;
            return drains.List().Where(d => d.App == scope.App && d.Env == scope.Env).ToList();
        }).RequireAccess(Permission.Read, "drains.list");
        app.MapPost("/drains", (string app, DrainAddBody body, Store store, Drains drains, HttpContext context) =>
            Add(body, AppScope.Require(context, store, app).Ref, drains, context)).RequireAccess(Permission.ManageDrains, "drains.add");
        app.MapDelete("/drains/{name}", (string app, string name, Store store, Drains drains, HttpContext context) =>
            Remove(name, AppScope.Require(context, store, app).Ref, drains, context)).RequireAccess(Permission.ManageDrains, "drains.remove");
    }

    private static DrainView Add(DrainAddBody body, AppRef? scope, Drains drains, HttpContext context)
    {
        var spec = DrainSpec.Parse(body.Name, scope, body.Url, body.Syslog, body.Headers, body.Access, body.Gzip, body.Ca);
        AccessControl.AuditDetail(context, $"{spec.Name} {spec.Destination}");
        return drains.Add(spec);
    }

    private static DrainView Remove(string name, AppRef? scope, Drains drains, HttpContext context)
    {
        AccessControl.AuditDetail(context, name);
        return drains.Remove(scope, name);
    }
}
