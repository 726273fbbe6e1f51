using Slipway.Access;
using Slipway.Api;
using Slipway.Deploy;
using Slipway.Monitoring.Alerts;
using Slipway.Monitoring.Alerts.Sources;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds what the pages render from the services and views the JSON API answers with (<see cref="AppViews"/>,
/// the store's lists, the alert engine's firing alerts), filtered by what the caller may read, and with the actions
/// the caller may take: a page offers a button only where the API would accept the request.</summary>
internal sealed class DashboardData(Store store, AppViews views, AlertConfig alerts, DeployEngine engine, RecordedReleases releases,
    TimeProvider clock)
{
    /// <summary>How many deployments an app's page lists (`slipway deployments` shows more).</summary>
    public const int Deployments = 20;

    /// <summary>The alert rules whose firing alerts the overview names at a glance.</summary>
    private static readonly HashSet<string> FailingRules = new([JobSource.CronFailed, BackupSource.Backup], StringComparer.Ordinal);

    public OverviewView Overview(Principal me)
    {
        var apps = store.ListApps().Where(a => me.Can(Permission.Read, a.Ref)).Select(a => Row(views.App(a))).ToList();
        var failing = alerts.List(null).Firing
            .Where(a => FailingRules.Contains(a.Rule) && me.Can(Permission.Read, a.App is { } app ? new AppRef(app, a.Env ?? AppRef.Production) : null))
            .Select(a => new FailingRow(a.Rule == BackupSource.Backup ? "backup" : "cron",
                a.App is { } app ? new AppRef(app, a.Env ?? AppRef.Production).ToString() : "platform", a.Title, a.StartedAt))
            .ToList();
        return new OverviewView(apps, failing, clock.GetUtcNow());
    }

    public AppPageView App(Principal me, AppRecord app)
    {
        var dto = views.App(app);
        var row = Row(dto);
        var mayDeploy = me.Can(Permission.Deploy, app.Ref);
        var records = store.ListDeployments(app.Name, Deployments);
        var numbers = records.ToDictionary(d => d.Id, d => d.Seq, StringComparer.Ordinal);
        var deployments = records
            .Select(d => Deployment(app.Ref, d, app.LiveDeploymentId, mayDeploy) with
            {
                RollsBackTo = d.RollbackOf is { } of && numbers.TryGetValue(of, out var number) ? number : null,
            })
            .ToList();
        return new AppPageView(row, deployments, mayDeploy ? ApiPath(app.Ref, "rollback") : null, PagePath(app.Ref, "/content"), clock.GetUtcNow())
        {
            Instances = dto.Instances.Select(i => new InstanceRow(i.Id, i.Service, i.Replica, i.Role, JsonSpellings.Of(i.State), i.Pid, i.Restarts,
                i.Requests, i.CpuPercent, i.MemoryBytes, i.MemoryLimitBytes, i.OomKills)).ToList(),
            // The API's own checks: a live deployment whose source is still kept; something under way to cancel.
            RedeployAction = mayDeploy && records.FirstOrDefault(d => d.Id == app.LiveDeploymentId) is { } live && engine.KeptSource(live) is not null
                ? ApiPath(app.Ref, "redeploy") : null,
            CancelAction = mayDeploy && deployments.Any(d => d.InProgress) ? ApiPath(app.Ref, "cancel") : null,
            Destroy = me.Can(Permission.Destroy, app.Ref)
                ? new DestroyAction(app.App, app.Env, ApiPath(app.Ref, "destroy-plan"), ApiPath(app.Ref, "destroy"))
                : null,
        };
    }

    /// <summary>One deployment of <paramref name="app"/>, or the 404 for an id that is not one of its.</summary>
    public DeploymentPageView Deployment(Principal me, AppRecord app, string id)
    {
        var record = store.FindDeployment(id) is { } found && found.App == app.Name
            ? found
            : throw new UserException($"No deployment '{id}' in {app.Ref}. Its deployments page lists them: {PagePath(app.Ref)}", 404);
        var mayDeploy = me.Can(Permission.Deploy, app.Ref);
        var row = Deployment(app.Ref, record, app.LiveDeploymentId, mayDeploy);
        if (record.RollbackOf is { } of && store.FindDeployment(of) is { } from && from.App == app.Name)
        {
            row = row with { RollsBackTo = from.Seq };
        }
        var encoded = Uri.EscapeDataString(record.Id);
        return new DeploymentPageView(Row(views.App(app)), row, $"/v1/deployments/{encoded}/log?follow=true", $"/v1/deployments/{encoded}",
            PagePath(app.Ref, $"/deployments/{encoded}/content"), PagePath(app.Ref), clock.GetUtcNow())
        {
            CancelAction = mayDeploy && row.InProgress ? ApiPath(app.Ref, "cancel") : null,
            RedeployAction = mayDeploy && engine.KeptSource(record) is not null ? ApiPath(app.Ref, "redeploy") : null,
            RedeployBody = new System.Text.Json.Nodes.JsonObject { ["from"] = record.Id }.ToJsonString(),
        };
    }

    /// <summary>/apps/APP/deployments/ID[?env=ENV]: a deployment's own page.</summary>
    public static string DeploymentPath(AppRef app, string id) => PagePath(app, "/deployments/" + Uri.EscapeDataString(id));

    /// <summary>/apps/APP[SUFFIX][?env=ENV]: the page paths mirror the API's /v1/apps/APP/...?env=ENV.</summary>
    public static string PagePath(AppRef app, string suffix = "") =>
        $"/apps/{Uri.EscapeDataString(app.App)}{suffix}" + (app.IsProduction ? "" : "?env=" + Uri.EscapeDataString(app.Env));

    private static string ApiPath(AppRef app, string action) => "/v1" + PagePath(app, "/" + action);

    private static AppRow Row(AppDto app) =>
        new(app.App, app.Env, app.State, app.Urls, app.Live is { } live ? Deployment(AppRef.Of(app.App, app.Env), live, isLive: true, rollbackTo: null) : null,
            PagePath(AppRef.Of(app.App, app.Env)));

    private DeploymentRow Deployment(AppRef app, DeploymentRecord d, string? liveId, bool mayDeploy)
    {
        // The rollback API's own checks (Deploy/RollbackTargets, RecordedReleases.RequireUsable): an earlier deployment
        // that went live, whose build is still kept.
        var target = mayDeploy && d.LiveAt is not null && d.BuildId is not null && d.Id != liveId && releases.IsUsable(d);
        return Deployment(app, AppViews.Deployment(d), d.Id == liveId,
            target ? new System.Text.Json.Nodes.JsonObject { ["to"] = d.Id }.ToJsonString() : null);
    }

    private static DeploymentRow Deployment(AppRef app, DeploymentDto d, bool isLive, string? rollbackTo) =>
        new(d.Id, d.Number, JsonSpellings.Of(d.Kind), JsonSpellings.Of(d.Status), d.Commit, d.CommitMessage, d.CommitAuthor, d.Source,
            d.CreatedAt, d.FinishedAt, d.DurationSeconds, isLive, !d.Status.IsTerminal(), rollbackTo,
            RequestedBy: d.RequestedBy, Page: DeploymentPath(app, d.Id), FailedStep: d.FailedStep, Error: d.Error);
}
