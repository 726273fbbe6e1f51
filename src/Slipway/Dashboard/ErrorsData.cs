using Microsoft.Extensions.Logging;
using Slipway.Access;
using Slipway.Api;
using Slipway.Errors;
using Slipway.Errors.SourceMaps;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds the Errors tab from what /v1/apps/{app}/errors and /errors/{id} answer (the same store, the same
/// latest event read through <see cref="IssueDetail"/>, source maps applied), with resolve, ignore or reopen where the
/// caller may deploy the app (the permission the triage endpoint declares).</summary>
internal sealed partial class ErrorsData(ErrorStore errors, ErrorReleases releases, SourceMapStore maps, DashboardData dashboard, TimeProvider clock,
    ILogger<ErrorsData> logger)
{
    /// <summary>How many issues the tab lists (`slipway errors ls --limit` shows more).</summary>
    public const int Issues = 50;

    public ErrorsPageView Page(Principal me, AppRecord app) =>
        new(dashboard.App(me, app).App, errors.List(app.Name, null, null, Issues).Select(i => Row(app, IssueView.Of(i))).ToList(),
            DashboardData.PagePath(app.Ref, "/errors/content"), clock.GetUtcNow());

    public ErrorDetailView Detail(Principal me, AppRecord app, long id)
    {
        var issue = errors.Find(id) is { } found && found.AppKey == app.Name
            ? found
            : throw new UserException($"No issue #{id} here. The Errors tab lists them; so does: slipway errors ls {app.Ref.Flags}", 404);
        var latest = errors.Events(id, 1).FirstOrDefault();
        var d = IssueDetail.Of(issue, latest, ErrorEndpoints.Suggestion(issue, app, releases), latest is null ? null : maps.For(app.App, latest.Release),
            e => LogSymbolicationFailed(logger, app.Name, id, e));
        var row = Row(app, d.Issue);
        List<TriageAction> actions = [];
        if (me.Can(Permission.Deploy, app.Ref))
        {
            string Path(string action) => "/v1" + DashboardData.PagePath(app.Ref, $"/errors/{id}/{action}");
            if (d.Issue.Status == IssueStatus.Unresolved)
            {
                actions.Add(new("resolve", "Resolve", Path("resolve"), $"#{id} is resolved: it reopens if a later release sends it again."));
                actions.Add(new("ignore", "Ignore", Path("ignore"), $"#{id} is ignored."));
            }
            else
            {
                actions.Add(new("reopen", "Reopen", Path("reopen"), $"#{id} is open again."));
            }
        }
        var exceptions = d.Exceptions.Select(x => new ExceptionBlock($"{x.Type}: {x.Value}{(x.Handled == false ? " (unhandled)" : "")}",
            string.Join('\n', x.Frames.SelectMany(f => (IEnumerable<string>)[
                $"{(f.InApp == false ? " " : "›")} at {f.Function ?? "?"} ({f.Where}){(f.Minified is { } m ? $"  [from {m}]" : "")}",
                .. f.InApp != false && f.Context is { Length: > 0 } context ? [$"      {context}"] : (string[])[],
            ])))).ToList();
        var breadcrumbs = d.Breadcrumbs.Select(b => $"{b.Timestamp} {b.Category ?? "-"} {b.Message}".Trim()).ToList();
        return new ErrorDetailView(dashboard.App(me, app).App, row, d.EventId, d.Release, d.Environment, d.Request, d.Message,
            exceptions, d.Tags.ToList(), breadcrumbs, d.Suggestion, actions, DashboardData.PagePath(app.Ref, $"/errors/{id}/content"),
            DashboardData.PagePath(app.Ref, "/errors"), clock.GetUtcNow());
    }

    private static IssueRow Row(AppRecord app, IssueView i) =>
        new(i.Id, i.Title, i.Culprit, i.Level, JsonSpellings.Of(i.Status) + (i.RegressedIn is not null && i.Status == IssueStatus.Unresolved ? " (regressed)" : ""),
            i.Count, i.Users, i.FirstSeen, i.LastSeen, i.LastRelease, DashboardData.PagePath(app.Ref, $"/errors/{i.Id}"));

    [LoggerMessage(Level = LogLevel.Error, Message = "Applying the source maps to issue #{Id} of {App} failed; its frames are shown as sent")]
    private static partial void LogSymbolicationFailed(ILogger logger, string app, long id, Exception exception);
}
