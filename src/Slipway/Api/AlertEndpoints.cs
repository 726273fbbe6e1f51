using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Access;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Channels;
using Slipway.State;

namespace Slipway.Api;

/// <summary>/v1/alerts (platform-wide rules; what fires in every app the caller may read) and /v1/apps/{app}/alerts (an
/// app environment's rules and alerts). Reading needs read; changing a rule needs manage-alerts (an admin's) on its
/// scope, platform-wide for a platform-wide rule.</summary>
internal static class AlertEndpoints
{
    public static void MapAlertsApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/alerts", (AlertConfig config, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            var view = config.List(null);
            return view with { Firing = view.Firing.Where(a => me.Can(Permission.Read, Scope(a))).ToList() };
        }).RequireSignedIn("alerts.list");
        api.MapGet("/v1/alerts/history", (string? since, int? limit, AlertConfig config, AlertChannels channels, TimeProvider clock, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return WithDeliveries(config.History(Since(since, clock), null, Math.Clamp(limit ?? 100, 1, 1000)).Where(a => me.Can(Permission.Read, Scope(a))), channels);
        }).RequireSignedIn("alerts.history");
        api.MapPut("/v1/alerts/rules/{rule}", (string rule, AlertRuleBody body, AlertConfig config, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, rule);
            return config.Set(null, rule, body);
        }).RequireAccess(Permission.ManageAlerts, "alerts.set");
        api.MapDelete("/v1/alerts/rules/{rule}", (string rule, AlertConfig config, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, rule);
            return config.Reset(null, rule);
        }).RequireAccess(Permission.ManageAlerts, "alerts.reset");

        var app = api.MapGroup("/v1/apps/{app}/alerts");
        app.MapGet("", (string app, Store store, AlertConfig config, HttpContext context) =>
            config.List(AppScope.Require(context, store, app).Ref)).RequireAccess(Permission.Read, "alerts.list");
        app.MapGet("/history", (string app, string? since, int? limit, Store store, AlertConfig config, AlertChannels channels, TimeProvider clock,
            HttpContext context) =>
            WithDeliveries(config.History(Since(since, clock), AppScope.Require(context, store, app).Ref, Math.Clamp(limit ?? 100, 1, 1000)), channels))
            .RequireAccess(Permission.Read, "alerts.history");
        app.MapPut("/rules/{rule}", (string app, string rule, AlertRuleBody body, Store store, AlertConfig config, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, rule);
            return config.Set(AppScope.Require(context, store, app).Ref, rule, body);
        }).RequireAccess(Permission.ManageAlerts, "alerts.set");
        app.MapPost("/rules", (string app, AlertRuleBody body, Store store, AlertConfig config, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, body.Name ?? "");
            return config.Add(AppScope.Require(context, store, app).Ref, body);
        }).RequireAccess(Permission.ManageAlerts, "alerts.add");
        app.MapDelete("/rules/{rule}", (string app, string rule, Store store, AlertConfig config, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, rule);
            return config.Reset(AppScope.Require(context, store, app).Ref, rule);
        }).RequireAccess(Permission.ManageAlerts, "alerts.reset");
    }

    private static List<AlertView> WithDeliveries(IEnumerable<AlertView> alerts, AlertChannels channels) =>
        alerts.Select(a => a with { Deliveries = channels.Deliveries(a.Id) }).ToList();

    private static AppRef? Scope(AlertView alert) => alert.App is { } app ? new AppRef(app, alert.Env ?? AppRef.Production) : null;

    private static DateTimeOffset Since(string? since, TimeProvider clock)
    {
        var window = since ?? "7d";
        if (!Durations.TryParseWindow(window, out var span) || span <= TimeSpan.Zero || span > TimeSpan.FromDays(90))
        {
            throw new UserException($"--since '{window}' is not a duration up to 90d (the history kept): use one like 24h or 7d.");
        }
        return clock.GetUtcNow() - span;
    }
}
