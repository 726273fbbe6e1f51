namespace Slipway.Dashboard;

// What the Logs and Config tabs of an app environment render (public: Razor components take them). Built by
// LogsConfigData from the same services as GET /v1/apps/APP/logs and /v1/apps/APP/config.

/// <summary>The Logs tab: the services to filter by, and where the page's script reads the stream from.</summary>
/// <param name="Stream">The JSON API's log stream of this environment (/v1/apps/APP/logs[?env=ENV]); logs.js adds
/// follow, tail, since and the filters.</param>
/// <param name="Levels">The levels `--level` takes, least severe first.</param>
/// <param name="Service">The filters the page was opened with (?service=, ?level=, ?grep=), or null.</param>
public sealed record LogsView(AppRow App, IReadOnlyList<string> Services, IReadOnlyList<string> Levels, string Stream,
    string? Service, string? Level, string? Grep);

/// <summary>One config variable as the page shows it: a secret's value is always the mask here (revealing asks the
/// API again, with the password).</summary>
/// <param name="Shared">Set for every environment of the app (changed with `env set --shared`, not in this form).</param>
/// <param name="Declared">What slipway.json says of it ("url", "list of int, secret"), or null when it is not declared.</param>
public sealed record ConfigVarRow(string Name, string Value, bool Secret, bool Shared, string UpdatedAt, string? Declared, string? Description);

/// <summary>A variable slipway.json declares that is not set.</summary>
public sealed record DeclaredVarRow(string Name, string Declared, bool Required, string? Default, string? Description);

/// <summary>The Config tab.</summary>
/// <param name="SaveAction">POST path of the JSON API's config change (a release), or null when the caller may not set config.</param>
/// <param name="RevealAction">POST path of the JSON API's reveal (password again), or null when the caller may not reveal secrets.</param>
/// <param name="Fragment">Where the page's content (ConfigContent) refreshes from.</param>
/// <param name="Deployments">The app environment's deployments page, where a saved change's release is listed.</param>
public sealed record ConfigView(AppRow App, IReadOnlyList<ConfigVarRow> Vars, IReadOnlyList<DeclaredVarRow> Unset, string? SaveAction,
    string? RevealAction, string Fragment, string Deployments);
