using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Monitoring.Uptime;
using Slipway.State;

namespace Slipway.Api;

internal sealed record UptimeAddBody(string? Url, string? Name, string? Every, string? Expect, string? Timeout, double? Slo);

internal sealed record UptimeSetBody(string? Every, string? Expect, string? Timeout, double? Slo, string? Path);

/// <summary>/v1/uptime (every check the caller may read; platform-wide checks) and /v1/apps/{app}/uptime (an app
/// environment's). Adding, changing, pausing and removing a check need manage-alerts over its scope: its app
/// environment, or the platform for a platform-wide check.</summary>
internal static class UptimeEndpoints
{
    public static void MapUptimeApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/uptime", (UptimeChecks checks, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return checks.List().Where(c => me.Can(Permission.Read, c.App is null ? null : AppRef.Of(c.App, c.Env))).ToList();
        }).RequireSignedIn("uptime.list");
        api.MapPost("/v1/uptime", (UptimeAddBody body, UptimeChecks checks, UptimeOptions options, HttpContext context) =>
            Add(body, null, checks, options, context)).RequireAccess(Permission.ManageAlerts, "uptime.add");

        var check = api.MapGroup("/v1/uptime/{name}");
        check.MapDelete("", (string name, UptimeChecks checks, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return checks.Remove(name);
        }).RequireAccess(Permission.ManageAlerts, "uptime.remove", ScopeOfCheck);
        check.MapPost("/settings", (string name, UptimeSetBody body, UptimeChecks checks, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return checks.Change(name, new UptimeSettings(body.Every, body.Expect, body.Timeout, body.Slo, body.Path));
        }).RequireAccess(Permission.ManageAlerts, "uptime.set", ScopeOfCheck);
        check.MapPost("/pause", (string name, UptimeChecks checks, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return checks.Pause(name, paused: true);
        }).RequireAccess(Permission.ManageAlerts, "uptime.pause", ScopeOfCheck);
        check.MapPost("/resume", (string name, UptimeChecks checks, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, name);
            return checks.Pause(name, paused: false);
        }).RequireAccess(Permission.ManageAlerts, "uptime.resume", ScopeOfCheck);

        var app = api.MapGroup("/v1/apps/{app}");
        app.MapGet("/uptime", (string app, Store store, UptimeChecks checks, HttpContext context) =>
        {
            var scope = AppScope.Require(context, store, app).Ref;
            return checks.List().Where(c => c.App == scope.App && c.Env == scope.Env).ToList();
        }).RequireAccess(Permission.Read, "uptime.list");
        app.MapPost("/uptime", (string app, UptimeAddBody body, Store store, UptimeChecks checks, UptimeOptions options, HttpContext context) =>
            Add(body, AppScope.Require(context, store, app).Ref, checks, options, context)).RequireAccess(Permission.ManageAlerts, "uptime.add");
    }

    /// <summary>A check's own scope: its app environment, or the platform (also for a name no check has: 404 follows).</summary>
    private static AppRef? ScopeOfCheck(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("name", out var name) && name is string check
            ? context.RequestServices.GetRequiredService<UptimeChecks>().ScopeOf(check)
            : null;

    private static UptimeView Add(UptimeAddBody body, AppRef? scope, UptimeChecks checks, UptimeOptions options, HttpContext context)
    {
        var spec = UptimeCheckSpec.Parse(body.Url, body.Name, scope, new UptimeSettings(body.Every, body.Expect, body.Timeout, body.Slo, null), options);
        AccessControl.AuditDetail(context, $"{spec.Name} {spec.Url.GetLeftPart(UriPartial.Authority)}");
        return checks.Add(spec);
    }
}
