using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Databases;
using Slipway.Deploy;
using Slipway.State;

namespace Slipway.Api;

/// <summary>Destroying an app environment: GET /v1/apps/{app}/destroy-plan says what would be deleted (the CLI
/// shows it before asking), POST /v1/apps/{app}/destroy does it (?progress=1 streams the steps: final backups
/// take a while) and answers with each database's fate and the command that brings it back; DELETE
/// /v1/apps/{app} is the same without progress. ?keepDatabases=true (or the body's keepDatabases) keeps them.</summary>
internal static class DestroyEndpoints
{
    public static void MapDestroyApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/apps/{app}/destroy-plan", async (string app, bool? keepDatabases, Store store, AppHosts hosts, EnvironmentResources resources,
            HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            var keep = keepDatabases ?? false;
            var databases = await resources.PlanAsync(app, context.RequestAborted);
            return new DestroyPlanDto(record.App, record.Env, store.ListDeployments(app, int.MaxValue).Count, store.ListBuilds(app).Count,
                hosts.For(app), keep, databases.Select(d => Planned(d, keep)).ToList());
        }).RequireAccess(Access.Permission.Destroy, "destroy.plan");
        api.MapPost("/v1/apps/{app}/destroy", (string app, DestroyBody? body, AppOperations apps, Store store, EnvironmentResources resources,
            HttpContext context) =>
            ProgressStream.RunAsync(context, progress => DestroyAsync(AppScope.Require(context, store, app).Ref, body?.KeepDatabases ?? false, apps, store, resources, progress, context.RequestAborted)))
            .RequireAccess(Access.Permission.Destroy, "destroy");
        api.MapDelete("/v1/apps/{app}", async (string app, bool? keepDatabases, AppOperations apps, Store store, EnvironmentResources resources,
            HttpContext context) =>
            await DestroyAsync(AppScope.Require(context, store, app).Ref, keepDatabases ?? false, apps, store, resources, OperationProgress.None, context.RequestAborted))
            .RequireAccess(Access.Permission.Destroy, "destroy");
    }

    private static async Task<DestroyedDto> DestroyAsync(AppRef owner, bool keep, AppOperations apps, Store store, EnvironmentResources resources,
        OperationProgress progress, CancellationToken token)
    {
        var key = owner.Key;
        var plan = await resources.PlanAsync(key, token);
        // Not tied to the client from here on: a destroy half done because the client hung up would be the worst
        // outcome, so a step that can no longer be written is dropped, not thrown into the destroy.
        await apps.DestroyAsync(key, keep, async step =>
        {
            try
            {
                await progress.StepAsync(step);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
        });
        return new DestroyedDto(owner.App, owner.Env, plan.Select(item => Outcome(owner, item, keep, resources)).ToList());
    }

    private static DestroyDatabaseDto Planned(EnvironmentResources.Item item, bool keep)
    {
        var db = item.Database;
        var fate = keep ? DatabaseFate.Kept : db.Type == DatabaseRecord.Postgres ? DatabaseFate.BackedUpThenDropped : DatabaseFate.Dropped;
        return new DestroyDatabaseDto(db.Name, db.Type, db.DbName, db.Server, item.SizeBytes, fate);
    }

    private static DestroyDatabaseDto Outcome(AppRef owner, EnvironmentResources.Item item, bool keep, EnvironmentResources resources)
    {
        var planned = Planned(item, keep);
        var db = item.Database;
        return planned.Fate switch
        {
            // Kept databases are detached under their database name; attaching one makes it an environment's again.
            DatabaseFate.Kept => planned with { Restore = $"slipway db attach {db.DbName} {owner.Flags}" },
            DatabaseFate.BackedUpThenDropped when resources.FinalBackupOf(db.Id) is { } backup => planned with
            {
                Backup = backup.Id,
                Restore = $"slipway db restore {backup.Id} --to-new {EnvironmentResources.RestoreName(db.App, db.Name)}",
            },
            _ => planned,
        };
    }
}
