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
/// <param name="RollsBackTo">For a rollback, the number of the deployment it brought back (for a redeploy, a restart, a
/// config release or a promote, the one it was made from), when listed beside it.</param>
/// <param name="RequestedBy">Who asked for it (a user or token, a pusher, "webhook (github)"); null for old deployments.</param>
/// <param name="Page">Its own page (facts and deploy log).</param>
/// <param name="FailedStep">Where a failed or cancelled one stopped, and <paramref name="Error"/> why.</param>
public sealed record DeploymentRow(string Id, long Number, string Kind, string Status, string? Commit, string? Message, string? Author,
    string Source, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, bool IsLive, bool InProgress, string? RollbackTo,
    long? RollsBackTo = null, string? RequestedBy = null, string? Page = null, string? FailedStep = null, string? Error = null);

/// <summary>One running instance of an app environment (Api.InstanceDto): what it is, how it is, what it uses.</summary>
/// <param name="Role">serving, warm (kept for a rollback) or new (a rollout's, starting).</param>
/// <param name="CpuPercent">Percent of one core since the previous look (null on the first, or without cgroups).</param>
/// <param name="MemoryBytes">Memory in use (null without cgroups), <paramref name="MemoryLimitBytes"/> its limit if any.</param>
public sealed record InstanceRow(string Id, string Service, int Replica, string Role, string State, int? Pid, int Restarts, long Requests,
    double? CpuPercent, long? MemoryBytes, long? MemoryLimitBytes, int OomKills);

/// <summary>Destroying an app environment from its page (a caller with the destroy permission only): the dialog reads the
/// plan from <paramref name="PlanUrl"/>, asks for <paramref name="App"/> typed exactly, then posts to
/// <paramref name="DestroyUrl"/> and goes to the overview.</summary>
public sealed record DestroyAction(string App, string Env, string PlanUrl, string DestroyUrl);

/// <summary>One app environment (Api.AppDto): its state, the URLs it answers, what is live.</summary>
public sealed record AppRow(string App, string Env, string State, IReadOnlyList<string> Urls, DeploymentRow? Live, string Page)
{
    /// <summary>How a confirmation or title names it: "shop", or "shop (staging)" outside production.</summary>
    public string Label => Env == "production" ? App : $"{App} ({Env})";
}

/// <summary>Something failing now that the overview names at a glance: a firing "cron-failed" or "backup" alert.</summary>
public sealed record FailingRow(string What, string Scope, string Title, DateTimeOffset Since);

/// <summary>The overview: every app environment the caller may read, and what is failing in them.</summary>
public sealed record OverviewView(IReadOnlyList<AppRow> Apps, IReadOnlyList<FailingRow> Failing, DateTimeOffset Now);

/// <summary>One app environment's page: the app, its instances and its recent deployments, with the actions the caller may
/// take (each a JSON API path with ?env=, or null: no button).</summary>
/// <param name="Deployments">Newest first.</param>
/// <param name="RollbackAction">POST path of the JSON API's rollback (with ?env=), or null when the caller may not deploy.</param>
/// <param name="Fragment">Where the page's content (AppContent) refreshes from.</param>
public sealed record AppPageView(AppRow App, IReadOnlyList<DeploymentRow> Deployments, string? RollbackAction, string Fragment, DateTimeOffset Now)
{
    public IReadOnlyList<InstanceRow> Instances { get; init; } = [];

    /// <summary>POST: the live deployment's kept source built again with the current config (null: no live one, or the
    /// caller may not deploy).</summary>
    public string? RedeployAction { get; init; }

    /// <summary>POST: cancels the running and queued deployments (null: none runs, or the caller may not deploy).</summary>
    public string? CancelAction { get; init; }

    public DestroyAction? Destroy { get; init; }
}

/// <summary>One deployment's page: its facts, its deploy log (followed live by assets/deploy-log.js while it runs).</summary>
/// <param name="LogUrl">GET, NDJSON: its log, followed until its final status.</param>
/// <param name="StatusUrl">GET, JSON: the deployment (its final status and error once the log ends).</param>
/// <param name="Fragment">Where its facts (DeploymentFacts) refresh from.</param>
/// <param name="Back">The app environment's deployments page.</param>
public sealed record DeploymentPageView(AppRow App, DeploymentRow Deployment, string LogUrl, string StatusUrl, string Fragment, string Back,
    DateTimeOffset Now)
{
    /// <summary>POST: cancels it while it runs (null: it has ended, or the caller may not deploy).</summary>
    public string? CancelAction { get; init; }

    /// <summary>POST: its kept source built again; <see cref="RedeployBody"/> is the request (null: its source is gone, or the
    /// caller may not deploy).</summary>
    public string? RedeployAction { get; init; }

    public string? RedeployBody { get; init; }
}
