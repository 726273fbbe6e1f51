namespace Slipway.Dashboard;

// What an app's Previews tab renders (PreviewsData builds it from what GET /v1/git/APP/previews answers).

/// <summary>The preview environments of an app's pull requests.</summary>
/// <param name="App">The app environment whose tabs the page shows (previews belong to the app, whichever environment).</param>
/// <param name="Remote">The path of the app's git remote on the platform host; null when it has none (so no pull requests, no previews).</param>
/// <param name="Forge">The forge its remote is connected to (github, gitlab, gitea); null when none is (no webhooks, no previews).</param>
/// <param name="Fragment">Where the tab's content (PreviewsContent) refreshes from.</param>
public sealed record PreviewsView(AppRow App, string? Remote, string? Forge, IReadOnlyList<PreviewRow> Previews, string Fragment, DateTimeOffset Now);

/// <summary>A preview (Api.GitPreviewDto) and what the caller may do with it.</summary>
/// <param name="Status">Its deployment's status (building, live, failed...), or awaiting-approval / deploying / failed before one.</param>
/// <param name="Page">The preview environment's own page in the dashboard (/apps/APP?env=pr-N), once it exists.</param>
/// <param name="ApproveAction">POST path approving the commit shown (a fork's pull request), or null.</param>
/// <param name="RemoveAction">DELETE path removing the preview, or null when the caller may not deploy it.</param>
/// <param name="InProgress">Its deployment is under way (the tab refreshes itself meanwhile).</param>
public sealed record PreviewRow(long Number, string Env, string? Title, string Branch, string Commit, string? Author, string Status, string? Error,
    string? Note, IReadOnlyList<string> Urls, DateTimeOffset UpdatedAt, string? Page, string? ApproveAction, string? RemoveAction, bool InProgress);
