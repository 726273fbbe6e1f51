using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Slipway.Deploy;
using Slipway.Edge;
using Slipway.Runtime;
using Slipway.State;

namespace Slipway.Api;

/// <summary>The JSON API the CLI talks to. Long operations answer 202 with the deployment; its progress is
/// streamed as NDJSON from /v1/deployments/{id}/log?follow=true.</summary>
internal static class ApiEndpoints
{
    public static void MapSlipwayApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1");
        v1.MapGet("/ping", (EdgeServer edge) =>
            Results.Ok(new PingDto("slipway", typeof(ApiEndpoints).Assembly.GetName().Version?.ToString(3), edge.Port, edge.HttpsPort))).AllowAnyone("ping");
        // For a monitor outside this machine (uptime checks run on it, so they cannot see it go down): 200 "ok" while the
        // platform answers and its state database reads, else 503. Names nothing about the platform.
        api.MapGet("/healthz", (Store store) =>
        {
            try
            {
                using var connection = store.Connections.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "select 1";
                command.ExecuteScalar();
                return Results.Text("ok\n", "text/plain");
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                return Results.Text("state database unavailable\n", "text/plain", statusCode: 503);
            }
        }).AllowAnyone("healthz");

        v1.MapGet("/apps", (Store store, AppViews views, HttpContext context) =>
        {
            var me = AccessControl.Caller(context);
            return store.ListApps().Where(a => me.Can(Access.Permission.Read, a.Ref)).Select(a => views.App(a));
        }).RequireSignedIn("apps.list");
        v1.MapGet("/apps/{app}", (string app, Store store, AppViews views, HttpContext context) =>
            views.App(AppScope.Require(context, store, app), withDisk: true)).RequireAccess(Access.Permission.Read, "apps.show");

        v1.MapPost("/apps/{app}/deployments", (string app, DeployBody body, DeployEngine engine, AppHosts hosts, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            if (AccessControl.Caller(context).Kind != Access.PrincipalKind.Local && !Builds.SourceSnapshot.IsNetworkGitUrl(body.Source))
            {
                // A path or a file:// URL names something on the server: from elsewhere that would read whatever the server
                // holds (another app's repository among it).
                throw new UserException("Only a git URL can be deployed through a login or a token (https://, ssh:// or git@host:repo): a directory " +
                    "path or a file:// URL would name something on the server. Deploy a git URL (with --ref), or run the deploy on the server itself.", 403);
            }
            DemandNewHosts(context, hosts, scope, body.Hosts);
            return Results.Accepted(null, AppViews.Deployment(engine.Enqueue(
                new DeployRequest(scope, body.Source, body.Ref, body.Hosts) { RequestedBy = AccessControl.Caller(context).Name })));
        }).RequireAccess(Access.Permission.Deploy, "deploy");
        v1.MapPost("/apps/{app}/promote", (string app, PromoteBody body, DeployEngine engine, HttpContext context) =>
        {
            var scope = AppScope.Of(context, app);
            // The request's scope is the app; what it reads and what it changes are the two environments.
            AccessControl.Demand(context, Access.Permission.Read, AppRef.Of(scope.App, body.From), "promote");
            AccessControl.Demand(context, Access.Permission.Deploy, AppRef.Of(scope.App, body.To), "promote");
            return Results.Accepted(null, AppViews.Deployment(engine.Promote(scope.App, body.From, body.To, AccessControl.Caller(context).Name, body.Create)));
        }).RequireSignedIn("promote");
        v1.MapGet("/apps/{app}/environments", (string app, Store store, AppViews views, HttpContext context) =>
            store.ListEnvironments(AppScope.Of(context, app).App).Where(e => AccessControl.Caller(context).Can(Access.Permission.Read, e.Ref)).Select(e => views.App(e)))
            .RequireSignedIn("environments.list");
        v1.MapGet("/apps/{app}/deployments", (string app, Store store, int? limit, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return store.ListDeployments(app, limit ?? 50).Select(AppViews.Deployment);
        }).RequireAccess(Access.Permission.Read, "deployments.list");
        v1.MapGet("/deployments/{id}", (string id, Store store) =>
            AppViews.Deployment(store.FindDeployment(id) ?? throw new UserException($"No deployment '{id}'.", 404)))
            .RequireAccess(Access.Permission.Read, "deployments.show", DeploymentApp);

        v1.MapPost("/apps/{app}/rollback", (string app, RollbackBody? body, DeployEngine engine, HttpContext context) =>
            Results.Accepted(null, AppViews.Deployment(engine.Rollback(AppScope.Of(context, app), body?.To, AccessControl.Caller(context).Name))))
            .RequireAccess(Access.Permission.Deploy, "rollback");
        // The kept source of a deployment (default: the live one) built again with the current config; 409 once it is pruned.
        v1.MapPost("/apps/{app}/redeploy", (string app, RedeployBody? body, DeployEngine engine, HttpContext context) =>
        {
            AccessControl.AuditDetail(context, "from " + (body?.From ?? "the live deployment"));
            return Results.Accepted(null, AppViews.Deployment(engine.Redeploy(AppScope.Of(context, app), body?.From, AccessControl.Caller(context).Name)));
        })
            .RequireAccess(Access.Permission.Deploy, "redeploy");
        v1.MapPost("/apps/{app}/restart", (string app, DeployEngine engine, Store store, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return Results.Accepted(null, AppViews.Deployment(engine.Restart(app, AccessControl.Caller(context).Name)));
        }).RequireAccess(Access.Permission.Deploy, "restart");
        v1.MapPost("/apps/{app}/cancel", (string app, DeployEngine engine, HttpContext context) => new CancelledDto(engine.Cancel(AppScope.Of(context, app))))
            .RequireAccess(Access.Permission.Deploy, "cancel");
        v1.MapPost("/apps/{app}/stop", async (string app, AppOperations apps, Store store, AppViews views, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            await apps.StopAsync(app);
            return views.App(store.FindApp(app)!);
        }).RequireAccess(Access.Permission.Deploy, "stop");
        v1.MapPost("/apps/{app}/start", async (string app, AppOperations apps, Store store, AppViews views, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            await apps.StartAsync(app);
            return views.App(store.FindApp(app)!);
        }).RequireAccess(Access.Permission.Deploy, "start");
        v1.MapGet("/apps/{app}/events", (string app, Store store, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return store.ListEvents(app).Select(e => new EventDto(e.At, e.Kind, e.Message, e.DeploymentId));
        }).RequireAccess(Access.Permission.Read, "events");
        v1.MapGet("/events", (Store store) => store.ListPlatformEvents().Select(e => new EventDto(e.At, e.Kind, e.Message, e.DeploymentId)))
            .RequireAccess(Access.Permission.ManagePlatform, "events.platform");
        v1.MapGet("/apps/{app}/metrics", (string app, Store store, Edge.AccessMetrics metrics, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            return metrics.Snapshot(app);
        }).RequireAccess(Access.Permission.Read, "metrics");
        api.MapLogsApi();
        api.MapCertificateApi();
        api.MapCaApi();
        api.MapDestroyApi();
        api.MapHostsApi();
        api.MapDomainsApi();
        api.MapVolumesApi();
        api.MapIsolationApi();
        // `slipway down`: the one way the apps stop with the platform (a SIGTERM, a restart or an upgrade leaves them running).
        v1.MapPost("/shutdown", (IHostApplicationLifetime lifetime, Deploy.Recovery recovery) =>
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await recovery.StopAppsAsync();
                }
                finally
                {
                    lifetime.StopApplication();
                }
            });
            return Results.Accepted();
        });
    }

    /// <summary>--host naming a hostname the app does not have yet takes it, which is admin work (manage domains), not a
    /// deployer's; repeating the app's own hostnames (a CI script's every deploy) needs nothing more (access review).</summary>
    public static void DemandNewHosts(HttpContext context, AppHosts hosts, AppRef scope, IEnumerable<string>? requested)
    {
        var current = hosts.For(scope.Key);
        if (requested?.Any(h => !current.Contains(h.Trim().ToLowerInvariant(), StringComparer.OrdinalIgnoreCase)) == true)
        {
            AccessControl.Demand(context, Access.Permission.ManageDomains, scope, "hosts.add");
        }
    }

    /// <summary>The app environment a deployment id belongs to (null for an unknown id: the endpoint says 404).</summary>
    internal static AppRef? DeploymentApp(HttpContext context)
    {
        var store = context.RequestServices.GetRequiredService<Store>();
        return context.Request.RouteValues["id"] is string id && store.FindDeployment(id) is { } d ? store.RefOf(d.App) : null;
    }
}
