namespace Slipway.Dashboard;

// What the dashboard's components render: small public records (Razor components are public types, so what they take
// must be too; internal records of the layers below stay internal). Endpoints build them with DashboardData from the
// same services and views as the JSON API (Api/AppViews), so a page and `GET /v1/...` never disagree.

/// <summary>The links of the embedded files (DashboardAssets), each with its content hash: the four every page loads, and
/// <paramref name="All"/> by file name for a page's own (a page names them in Shell's Assets).</summary>
public sealed record AssetLinks(string Css, string Htmx, string Script, string Icon, IReadOnlyDictionary<string, string> All)
{
    /// <summary>The link of an embedded file; a name the build did not embed is a bug.</summary>
    public string Url(string name) => All.TryGetValue(name, out var url)
        ? url
        : throw new InvalidOperationException($"The dashboard asset {name} is not embedded in this build (Dashboard/assets/).");
}

/// <summary>What every page around its content shows and needs: who is signed in, the CSRF token of their session
/// (empty without a login cookie: over the server's Unix socket none is needed), the path for the current nav entry, and
/// whether the caller is an admin or owner anywhere (<paramref name="Admin"/>: the nav entries only they may open).</summary>
public sealed record Chrome(string PlatformName, string User, string Csrf, string Path, AssetLinks Assets, bool Admin = false);

/// <summary>One entry of the main navigation; <paramref name="Href"/> null for a page still to come (shown, not linked);
/// <paramref name="AdminsOnly"/> for a page that answers 403 to anyone who is not admin or owner somewhere (not shown to them).</summary>
public sealed record NavItem(string Label, string? Href, bool AdminsOnly = false);

/// <summary>One tab of an app environment's pages: its path under /apps/APP (null for a page still to come).</summary>
public sealed record AppTab(string Label, string? Suffix);

/// <summary>A deployment as the pages show it (Api.DeploymentDto plus what the caller may do with it).</summary>
/// <param name="RollbackTo">The JSON API request body that rolls back to it, when it is an earlier good one and the caller
/// may deploy; null otherwise (no button is rendered).</param>
/// <param name="RollsBackTo">For a rollback, the number of the deployment it brought back (when listed beside it).</param>
public sealed record DeploymentRow(string Id, long Number, string Kind, string Status, string? Commit, string? Message, string? Author,
    string Source, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, bool IsLive, bool InProgress, string? RollbackTo,
    long? RollsBackTo = null);

/// <summary>One app environment (Api.AppDto): its state, the URLs it answers, what is live.</summary>
public sealed record AppRow(string App, string Env, string State, IReadOnlyList<string> Urls, DeploymentRow? Live, string Page);

/// <summary>Something failing now that the overview names at a glance: a firing "cron-failed" or "backup" alert.</summary>
public sealed record FailingRow(string What, string Scope, string Title, DateTimeOffset Since);

/// <summary>The overview: every app environment the caller may read, and what is failing in them.</summary>
public sealed record OverviewView(IReadOnlyList<AppRow> Apps, IReadOnlyList<FailingRow> Failing, DateTimeOffset Now);

/// <summary>One app environment's page: the app and its recent deployments.</summary>
/// <param name="Deployments">Newest first.</param>
/// <param name="RollbackAction">POST path of the JSON API's rollback (with ?env=), or null when the caller may not deploy.</param>
/// <param name="Fragment">Where the page's content (AppContent) refreshes from.</param>
public sealed record AppPageView(AppRow App, IReadOnlyList<DeploymentRow> Deployments, string? RollbackAction, string Fragment, DateTimeOffset Now);
