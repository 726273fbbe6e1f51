using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Slipway.Access;
using Slipway.Api;
using Slipway.State;

using static Slipway.Dashboard.DashboardEndpoints;

namespace Slipway.Dashboard;

/// <summary>A deployment's own page and its facts' fragment (Dashboard/README.md), under its app environment's path so
/// access is the app's read, exactly as for the API's GET /v1/deployments/{id}:
///
///   GET /apps/{app}/deployments/{id}[?env=E]           facts + deploy log (deploy-log.js follows it)
///   GET /apps/{app}/deployments/{id}/content[?env=E]   the facts alone
/// </summary>
internal static class DeploymentPages
{
    public static void MapDeploymentPages(this RouteGroupBuilder pages)
    {
        pages.MapGet("/apps/{app}/deployments/{id}", (string app, string id, Store store, DashboardData data, DashboardAssets assets, ApiOptions options,
                HttpContext context) =>
            Page<DeploymentPage>(new
            {
                Chrome = ChromeOf(context, assets, options),
                View = data.Deployment(AccessControl.Caller(context), AppScope.Require(context, store, app), id),
            }))
            .RequireAccess(Permission.Read, "dashboard.deployment").WithMetadata(new DashboardPage());
        pages.MapGet("/apps/{app}/deployments/{id}/content", (string app, string id, Store store, DashboardData data, HttpContext context) =>
            Page<DeploymentFacts>(new
            {
                View = data.Deployment(AccessControl.Caller(context), AppScope.Require(context, store, app), id),
            }))
            .RequireAccess(Permission.Read, "dashboard.deployment");
    }
}
