using Slipway.Access;
using Slipway.Api;
using Slipway.Deploy;
using Slipway.Git;
using Slipway.State;

namespace Slipway.Dashboard;

/// <summary>Builds an app's Previews tab from what GET /v1/git/APP/previews answers (the same GitPreviewDto), with the
/// actions the API would accept from the caller: approving a fork's commit and removing a preview need deploy on the
/// preview's environment (pr-N), approving also a forge the remote is connected to.</summary>
internal sealed class PreviewsData(GitRemotes remotes, GitStore git, Store store, AppHosts hosts, Edge.EdgeServer edge, AppViews views, TimeProvider clock)
{
    public PreviewsView Previews(Principal me, AppRecord current)
    {
        var app = current.App;
        var remote = remotes.Find(app);
        var link = remote is null ? null : remotes.Link(app);
        var previews = remote is null ? [] : git.Previews(app);
        var summary = views.App(current);
        return new PreviewsView(
            new AppRow(summary.App, summary.Env, summary.State, summary.Urls, null, DashboardData.PagePath(current.Ref)),
            remote is null ? null : $"/git/{app}.git",
            link is null ? null : JsonSpellings.Of(link.Forge),
            [.. previews.OrderByDescending(p => p.Number).Select(p => Row(me, p, link is not null))],
            DashboardData.PagePath(current.Ref, "/previews/content"),
            clock.GetUtcNow());
    }

    private PreviewRow Row(Principal me, PreviewRecord preview, bool connected)
    {
        var dto = GitEndpoints.Preview(preview, store, hosts, edge);
        var env = preview.Env;
        var mayDeploy = me.Can(Permission.Deploy, env);
        var api = $"/v1/git/{Uri.EscapeDataString(preview.App)}/previews/{preview.Number}";
        var deployment = preview.DeploymentId is { } id ? store.FindDeployment(id) : null;
        return new PreviewRow(dto.Number, dto.Env, dto.Title, dto.Branch, dto.Commit, dto.Author, dto.Status, dto.Error, dto.Note, dto.Urls, dto.UpdatedAt,
            store.FindApp(env.Key) is { } row && row.Ref == env ? DashboardData.PagePath(env) : null,
            mayDeploy && connected && preview.State == PreviewState.AwaitingApproval ? $"{api}/approve?sha={dto.Commit}" : null,
            mayDeploy ? api : null,
            preview.State == PreviewState.Deploying && (deployment is null || !deployment.Status.IsTerminal()));
    }
}
