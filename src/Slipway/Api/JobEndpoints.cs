using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Slipway.Deploy;
using Slipway.Manifests;
using Slipway.State;
using Slipway.Jobs;

namespace Slipway.Api;

/// <summary>The platform API's cron and message endpoints (what `slipway cron` and `slipway messages` call).
/// App-scoped like every /v1/apps/{app} endpoint: ?env= picks the environment.</summary>
internal static class JobEndpoints
{
    public static void MapJobsApi(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/v1/apps/{app}");
        v1.MapGet("/crons", (string app, Store store, CronScheduler scheduler, JobStore jobs, HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            var paused = scheduler.PausedWhy(record.Ref);
            return LiveJobs(store, scheduler, record).Select(job => CronView.Of(job, scheduler.NextRun(app, job.Name), jobs.LastRun(app, job.Name), paused));
        }).RequireAccess(Access.Permission.Read, "crons.list");
        v1.MapGet("/crons/{name}/runs", (string app, string name, int? limit, Store store, CronScheduler scheduler, JobStore jobs, HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            var runs = jobs.ListRuns(app, name, Math.Clamp(limit ?? 20, 1, JobStore.KeptRuns));
            if (runs.Count == 0 && LiveJobs(store, scheduler, record).All(j => j.Name != name))
            {
                throw NoJob(store, scheduler, record, name);
            }
            return runs;
        }).RequireAccess(Access.Permission.Read, "crons.runs");
        v1.MapGet("/crons/{name}/runs/{id}", (string app, string name, string id, JobStore jobs) =>
            jobs.FindRun(app, name, id) ?? throw new UserException($"No run '{id}' of cron job {name}.", 404)).RequireAccess(Access.Permission.Read, "crons.run");
        v1.MapPost("/crons/{name}/runs", (string app, string name, Store store, CronScheduler scheduler, CronRunner runner, HttpContext context) =>
        {
            var record = AppScope.Require(context, store, app);
            var job = LiveJobs(store, scheduler, record).FirstOrDefault(j => j.Name == name) ?? throw NoJob(store, scheduler, record, name);
            return Results.Accepted(null, runner.Start(app, job, CronTrigger.Manual, null));
        }).RequireAccess(Access.Permission.RunJobs, "crons.run-now");

        v1.MapGet("/messages", (string app, string? status, int? limit, Store store, JobStore jobs, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            if (status is not null && status is not (MessageStatus.Pending or MessageStatus.Delivered or MessageStatus.Dead))
            {
                throw new UserException($"--status '{status}': use pending, delivered or dead.");
            }
            return jobs.ListMessages(app, status, Math.Clamp(limit ?? 50, 1, 1000)).Select(MessageView.Of);
        }).RequireAccess(Access.Permission.Read, "messages.list");
        v1.MapPost("/messages/{id}/retry", (string app, string id, Store store, JobStore jobs, JobsClock clock, MessageDelivery delivery, HttpContext context) =>
        {
            AppScope.Require(context, store, app);
            var message = jobs.FindMessage(id);
            if (message is null || message.App != app)
            {
                throw new UserException($"No message '{id}' in {app}. List them with 'slipway messages ls --app APP'.", 404);
            }
            if (!jobs.Requeue(app, id, clock.Now))
            {
                throw new UserException($"Message {id} is {message.Status}, not dead: only dead messages are retried by hand.");
            }
            delivery.Wake();
            return MessageView.Of(jobs.FindMessage(id)!);
        }).RequireAccess(Access.Permission.RunJobs, "messages.retry");
    }

    private static IReadOnlyList<CronSpec> LiveJobs(Store store, CronScheduler scheduler, AppRecord record)
    {
        return record.LiveDeploymentId is null ? [] : scheduler.JobsOf(record.LiveDeploymentId).Select(j => j.Job).ToList();
    }

    private static UserException NoJob(Store store, CronScheduler scheduler, AppRecord record, string name)
    {
        var app = record.Ref;
        var names = LiveJobs(store, scheduler, record).Select(j => j.Name).ToList();
        return new UserException(names.Count == 0
            ? $"The live deployment of {app} declares no cron jobs. Add them under \"crons\" in slipway.json and deploy."
            : $"The live deployment of {app} has no cron job '{name}'; it has: {string.Join(", ", names)}.", 404);
    }
}
