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

/// <summary>The Logs and Config tabs of an app environment, with the access of the API's reads of the same things
/// (GET /v1/apps/{app}/logs and /config: read):
///
///   GET /apps/{app}/logs[?env=&amp;service=&amp;level=&amp;grep=]   the live log stream (logs.js follows the JSON API's NDJSON)
///   GET /apps/{app}/config[?env=]                          the variables, secrets masked; edit, review, save; reveal
///   GET /apps/{app}/config/content[?env=]                  its content again (after a save)
/// </summary>
internal static class LogsConfigPages
{
    public static IServiceCollection AddLogsConfigPages(this IServiceCollection services) => services.AddSingleton<LogsConfigData>();

    public static void MapLogsConfigPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/apps/{app}/logs", (string app, string? service, string? level, string? grep, Store store, LogsConfigData data,
            DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<LogsPage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.Logs(AccessControl.Caller(context), AppScope.Require(context, store, app), service, level, grep),
            }))
            .RequireAccess(Permission.Read, "dashboard.logs").WithMetadata(new DashboardPage());

        pages.MapGet("/apps/{app}/config", (string app, Store store, LogsConfigData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<ConfigPage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.Config(AccessControl.Caller(context), AppScope.Require(context, store, app)),
            }))
            .RequireAccess(Permission.Read, "dashboard.config").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/config/content", (string app, Store store, LogsConfigData data, HttpContext context) =>
            Page<ConfigContent>(new { View = data.Config(AccessControl.Caller(context), AppScope.Require(context, store, app)) }))
            .RequireAccess(Permission.Read, "dashboard.config");
    }
}
