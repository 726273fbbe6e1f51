using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Slipway.Access;
using Slipway.Api;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>The dashboard's pages, their fragments and files (Dashboard/README.md). A page is a GET that renders a
/// Razor component on the server (static rendering, no circuit); it declares the same access as the API's read of the
/// same thing, plus <see cref="DashboardPage"/> (an anonymous browser goes to /login instead of a 401). A fragment is
/// part of a page that htmx fetches again (a 401 there sends the page to /login from dashboard.js). What a page does
/// goes to the JSON API, so its role checks apply by construction.
///
///   GET /                          overview            GET /overview/content          its content
///   GET /apps/{app}[?env=E]        an app environment  GET /apps/{app}/content        its content
///   GET /login[?next=/path]        the login form      GET /assets/NAME?v=HASH        embedded files (anyone)
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>No inline script or style, no eval: everything comes from /assets.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddRazorComponents();
        services.AddSingleton<DashboardAssets>();
        services.AddSingleton<DashboardData>();
        services.AddSingleton<IProblemPage, ProblemPage>();
        services.AddDataPages();
        services.AddMetricsPages();
        services.AddLogsConfigPages();
        services.AddTeamPages();
        return services;
    }

    public static void MapDashboard(this WebApplication app)
    {
        app.MapGet("/assets/{name}", (string name, DashboardAssets assets, HttpContext context) => assets.Serve(name, context))
            .AllowAnyone("dashboard.asset");

        var pages = app.MapGroup("").AddEndpointFilter(async (invocation, next) =>
        {
            // Over the API's own policy (ApiHardening: nothing at all may load), for HTML that loads our files.
            invocation.HttpContext.Response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            return await next(invocation);
        });
        pages.MapGet(DashboardPage.LoginPath, (string? next, DashboardAssets assets, ApiOptions options, HttpContext context) =>
        {
            var back = LocalPath(next);
            return AccessControl.PrincipalOf(context) is null
                ? Page<LoginPage>(new { Platform = options.PlatformHost, Files = assets.Links, Next = back })
                : Results.Redirect(back);
        }).AllowAnyone("dashboard.login");

        pages.MapGet("/", (DashboardData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<OverviewPage>(new { Chrome = ChromeOf(context, assets, options), View = data.Overview(AccessControl.Caller(context)) }))
            .RequireSignedInEvenWithoutGrant("dashboard.overview").WithMetadata(new DashboardPage());
        pages.MapGet("/overview/content", (DashboardData data, HttpContext context) =>
            Page<OverviewContent>(new { View = data.Overview(AccessControl.Caller(context)) }))
            .RequireSignedInEvenWithoutGrant("dashboard.overview");

        pages.MapGet("/apps/{app}", (string app, Store store, DashboardData data, DashboardAssets assets, ApiOptions options, HttpContext context) =>
            Page<AppPage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.App(AccessControl.Caller(context), AppScope.Require(context, store, app)),
            }))
            .RequireAccess(Permission.Read, "dashboard.app").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/content", (string app, Store store, DashboardData data, HttpContext context) =>
            Page<AppContent>(new { View = data.App(AccessControl.Caller(context), AppScope.Require(context, store, app)) }))
            .RequireAccess(Permission.Read, "dashboard.app");
        pages.MapDataPages();
        pages.MapMetricsPages();
        pages.MapLogsConfigPages();
        pages.MapDeploymentPages();

        pages.MapTeamPages();
    }

    /// <summary>Where the login form sends the browser back to: a path of this site only, so a link to the login page
    /// cannot send a user elsewhere after signing in. Resolved against a placeholder origin as a browser would (which
    /// drops tabs and line breaks first: "/\t/evil.example" is "//evil.example" to it), never judged by its prefix.</summary>
    public static string LocalPath(string? next)
    {
        if (string.IsNullOrEmpty(next) || next[0] != '/' || next.Any(char.IsControl) || next.Contains('\\', StringComparison.Ordinal))
        {
            return "/";
        }
        return Uri.TryCreate(Placeholder, next, out var url) && url.Scheme == Placeholder.Scheme && url.Authority == Placeholder.Authority
            ? url.PathAndQuery
            : "/";
    }

    private static readonly Uri Placeholder = new("http://dashboard.invalid/");

    /// <summary>The component rendered on its own (static rendering). Typed IResult for the endpoints: the request
    /// delegate generator, which compiles the endpoints beside the Razor compiler, does not see the component types.</summary>
    internal static IResult Page<TComponent>(object parameters) where TComponent : Microsoft.AspNetCore.Components.IComponent =>
        new RazorComponentResult<TComponent>(parameters);

    internal static Chrome ChromeOf(HttpContext context, DashboardAssets assets, ApiOptions options) =>
        new(options.PlatformHost, AccessControl.Caller(context).Name, AccessControl.CsrfOf(context) ?? "",
            context.Request.Path.Value ?? "/", assets.Links, DashboardNav.IsAdmin(AccessControl.Caller(context)));
}
