using Slipway.Access;
using Slipway.Jobs;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>The Crons pages' data: what `GET /v1/apps/APP/crons` and `.../crons/NAME/runs` answer (the live
/// deployment's jobs, their next run, last run and pause) for every environment the caller may read, with Run now
/// where the caller may run jobs (run-jobs, as `POST .../crons/NAME/runs` demands).</summary>
internal sealed class CronsData(Store store, CronScheduler scheduler, JobStore jobs, TimeProvider clock)
{
    /// <summary>How many runs a job's page lists, as `slipway cron runs` does by default.</summary>
    public const int RunsShown = 20;

    public CronsView List(Principal me)
    {
        var crons = store.ListApps()
            .Where(a => me.Can(Permission.Read, a.Ref))
            .OrderBy(a => a.App, StringComparer.Ordinal).ThenBy(a => !a.Ref.IsProduction).ThenBy(a => a.Env, StringComparer.Ordinal)
            .SelectMany(a => LiveJobs(a).Select(job => Row(me, a, job)))
            .ToList();
        return new CronsView(crons, clock.GetUtcNow());
    }

    /// <summary>One job's page, or null when the live deployment has no such job and it never ran (the API's 404).</summary>
    public CronPageView? Job(Principal me, AppRecord app, string name)
    {
        var runs = jobs.ListRuns(app.Name, name, RunsShown);
        var job = LiveJobs(app).FirstOrDefault(j => j.Name == name);
        if (job is null && runs.Count == 0)
        {
            return null;
        }
        // A job the live deployment no longer declares keeps its history, without a schedule or a Run now.
        var row = job is null
            ? new CronRow(app.App, app.Env, name, "", "UTC", "", "not in the live deployment", null, null, runs.Count > 0 ? Run(runs[0]) : null, History(app.Ref, name), null)
            : Row(me, app, job);
        return new CronPageView(row, runs.Select(Run).ToList(), History(app.Ref, name, "/content"), clock.GetUtcNow());
    }

    private IReadOnlyList<Manifests.CronSpec> LiveJobs(AppRecord app) =>
        app.LiveDeploymentId is null ? [] : scheduler.JobsOf(app.LiveDeploymentId).Select(j => j.Job).ToList();

    private CronRow Row(Principal me, AppRecord app, Manifests.CronSpec job)
    {
        var view = CronView.Of(job, scheduler.NextRun(app.Name, job.Name), jobs.LastRun(app.Name, job.Name), scheduler.PausedWhy(app.Ref));
        var run = me.Can(Permission.RunJobs, app.Ref)
            ? $"/v1/apps/{Uri.EscapeDataString(app.App)}/crons/{Uri.EscapeDataString(job.Name)}/runs" + (app.Ref.IsProduction ? "" : "?env=" + Uri.EscapeDataString(app.Env))
            : null;
        return new CronRow(app.App, app.Env, view.Name, view.Schedule, view.TimeZone, view.Kind, view.Target,
            view.NextRun is { } next ? UtcTime.Parse(next) : null, view.Paused, view.LastRun is { } last ? Run(last) : null, History(app.Ref, job.Name), run);
    }

    /// <summary>/crons/APP/NAME[SUFFIX][?env=ENV]: a job's page, its app environment named as for /v1/apps/APP.</summary>
    public static string History(AppRef app, string job, string suffix = "") =>
        $"/crons/{Uri.EscapeDataString(app.App)}/{Uri.EscapeDataString(job)}{suffix}" + (app.IsProduction ? "" : "?env=" + Uri.EscapeDataString(app.Env));

    private static CronRunRow Run(CronRunRecord r) =>
        new(r.Id, r.Trigger, r.Status, UtcTime.Parse(r.StartedAt), r.FinishedAt is { } finished ? UtcTime.Parse(finished) : null, r.DurationMs, r.Attempts,
            r.HttpStatus, r.ExitCode, r.Output, r.Error);
}
