using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;
using Slipway.State;

using static Slipway.Dashboard.DashboardEndpoints;

namespace Slipway.Dashboard;

/// <summary>The monitoring pages (Dashboard/README.md, "Adding a page"): each declares the access of the API's read of
/// the same thing, and its fragment the same.
///
///   GET /metrics/apps              every app environment's traffic now   (…/content: its table)
///   GET /apps/{app}/metrics        an app's Metrics tab: charts (metrics.js, uPlot, fed by /v1/apps/{app}/metrics/chart)
///                                  and their numbers (…/content?since=&amp;series=: the summary the pickers refresh)
///   GET /alerts                    firing alerts, uptime checks, recent alerts (…/content)
///   GET /apps/{app}/errors         an app's error groups (…/content); /errors/{id}: one with its stack (…/content)
///
/// The platform page is /metrics/apps, not /metrics: that path is the Prometheus text every scraper knows.</summary>
internal static class MetricsPages
{
    public static IServiceCollection AddMetricsPages(this IServiceCollection services)
    {
        services.AddSingleton<MetricsData>();
        services.AddSingleton<AlertsData>();
        services.AddSingleton<ErrorsData>();
        return services;
    }

    public static void MapMetricsPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/metrics/apps", (MetricsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<MetricsPlatformPage>(new { Chrome = ChromeOf(context, assets, options), View = data.Platform(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.metrics").WithMetadata(new DashboardPage());
        pages.MapGet("/metrics/apps/content", (MetricsData data, HttpContext context) =>
            Page<MetricsPlatformContent>(new { View = data.Platform(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.metrics");

        pages.MapGet("/apps/{app}/metrics", (string app, string? since, string? series, Store store, MetricsData data, DashboardAssets assets,
            ApiOptions options, HttpContext context) =>
            Page<MetricsPage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.Page(AccessControl.Caller(context), AppScope.Require(context, store, app), since, series),
            }))
            .RequireAccess(Permission.Read, "dashboard.metrics").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/metrics/content", (string app, string? since, string? series, Store store, MetricsData data, HttpContext context) =>
            Page<MetricsSummary>(new { View = data.Summary(AppScope.Require(context, store, app), since, series) }))
            .RequireAccess(Permission.Read, "dashboard.metrics");

        pages.MapGet("/alerts", (AlertsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<AlertsPage>(new { Chrome = ChromeOf(context, assets, options), View = data.Page(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.alerts").WithMetadata(new DashboardPage());
        pages.MapGet("/alerts/content", (AlertsData data, HttpContext context) =>
            Page<AlertsContent>(new { View = data.Page(AccessControl.Caller(context)) }))
            .RequireSignedIn("dashboard.alerts");

        pages.MapGet("/apps/{app}/errors", (string app, Store store, ErrorsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<ErrorsPage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.Page(AccessControl.Caller(context), AppScope.Require(context, store, app)),
            }))
            .RequireAccess(Permission.Read, "dashboard.errors").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/errors/content", (string app, Store store, ErrorsData data, HttpContext context) =>
            Page<ErrorsContent>(new { View = data.Page(AccessControl.Caller(context), AppScope.Require(context, store, app)) }))
            .RequireAccess(Permission.Read, "dashboard.errors");
        pages.MapGet("/apps/{app}/errors/{id:long}", (string app, long id, Store store, ErrorsData data, DashboardAssets assets, ApiOptions options,
            HttpContext context) =>
            Page<ErrorsIssuePage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.Detail(AccessControl.Caller(context), AppScope.Require(context, store, app), id),
            }))
            .RequireAccess(Permission.Read, "dashboard.errors").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/errors/{id:long}/content", (string app, long id, Store store, ErrorsData data, HttpContext context) =>
            Page<ErrorsIssueContent>(new { View = data.Detail(AccessControl.Caller(context), AppScope.Require(context, store, app), id) }))
            .RequireAccess(Permission.Read, "dashboard.errors");
    }
}
