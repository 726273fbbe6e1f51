using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>The Team page and two tabs of an app environment, each with the access of the API's read of the same thing
/// (Dashboard/README.md):
///
///   GET /team[?app=A&amp;limit=N]              users, tokens, audit log  (signed in; 403 unless admin or owner somewhere)
///   GET /team/content[...]                   its content
///   GET /apps/{app}/domains[?env=E]          the environment's domains and certificates   (read)
///   GET /apps/{app}/domains/content          its content
///   GET /apps/{app}/domains/check?host=H     a domain's DNS check, in place                (read)
///   GET /apps/{app}/previews[?env=E]         the app's previews (read of the app, as /v1/git/APP/previews)
///   GET /apps/{app}/previews/content         its content
/// </summary>
internal static class TeamPages
{
    public static IServiceCollection AddTeamPages(this IServiceCollection services) => services
        .AddSingleton<TeamData>()
        .AddSingleton<DomainsData>()
        .AddSingleton<PreviewsData>();

    public static void MapTeamPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/team", (string? app, int? limit, TeamData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            DashboardEndpoints.Page<TeamPage>(new
            {
                Chrome = DashboardEndpoints.ChromeOf(context, assets, options),
                View = data.Team(AccessControl.Caller(context), Filter(app), limit),
            }))
            .RequireSignedIn("dashboard.team").WithMetadata(new DashboardPage());
        pages.MapGet("/team/content", (string? app, int? limit, TeamData data, HttpContext context) =>
            DashboardEndpoints.Page<TeamContent>(new { View = data.Team(AccessControl.Caller(context), Filter(app), limit) }))
            .RequireSignedIn("dashboard.team");

        pages.MapGet("/apps/{app}/domains", (string app, Store store, DomainsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            DashboardEndpoints.Page<DomainsPage>(new
            {
                Chrome = DashboardEndpoints.ChromeOf(context, assets, options),
                View = data.Domains(AccessControl.Caller(context), AppScope.Require(context, store, app)),
            }))
            .RequireAccess(Permission.Read, "dashboard.domains").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/domains/content", (string app, Store store, DomainsData data, HttpContext context) =>
            DashboardEndpoints.Page<DomainsContent>(new { View = data.Domains(AccessControl.Caller(context), AppScope.Require(context, store, app)) }))
            .RequireAccess(Permission.Read, "dashboard.domains");
        pages.MapGet("/apps/{app}/domains/check", async (string app, string? host, Store store, DomainsData data, Deploy.DeployOptions platform,
            HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            var check = await data.CheckAsync(AccessControl.Caller(context), record, host ?? "", platform.PlatformHost, context.RequestAborted);
            return DashboardEndpoints.Page<DomainsCheck>(new { Check = check });
        }).RequireAccess(Permission.Read, "dashboard.domains.check");

        // The app's previews, whichever environment's tabs they are shown under: the access is the API's, read of the app.
        pages.MapGet("/apps/{app}/previews", (string app, Store store, PreviewsData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            DashboardEndpoints.Page<PreviewsPage>(new
            {
                Chrome = DashboardEndpoints.ChromeOf(context, assets, options),
                View = data.Previews(AccessControl.Caller(context), AppScope.Require(context, store, app)),
            }))
            .RequireAccess(Permission.Read, "dashboard.previews", WholeApp).WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/previews/content", (string app, Store store, PreviewsData data, HttpContext context) =>
            DashboardEndpoints.Page<PreviewsContent>(new { View = data.Previews(AccessControl.Caller(context), AppScope.Require(context, store, app)) }))
            .RequireAccess(Permission.Read, "dashboard.previews", WholeApp);
    }

    /// <summary>The audit filter's "all" is an empty value of the form's select.</summary>
    private static string? Filter(string? app) => string.IsNullOrWhiteSpace(app) ? null : app.Trim();

    /// <summary>The app of the request's {app} (its production scope), whatever ?env= says: GET /v1/git/APP/previews's.</summary>
    private static AppRef? WholeApp(HttpContext context) =>
        context.Request.RouteValues.TryGetValue("app", out var key) && key is string k ? AppRef.Of(AppScope.Of(context, k).App, AppRef.Production) : null;
}
