namespace Slipway.Dashboard;

// What the metrics, alerts and errors pages render (public: Razor components take them; see PageViews.cs). Numbers
// arrive formatted as the pages print them, by MetricsData, AlertsData and ErrorsData from the services the matching
// /v1 endpoints answer from.

/// <summary>One time range of the metrics charts: its ?since= value, its label and how many steps the chart asks for.</summary>
public sealed record RangeChoice(string Value, string Label, int Points, bool Selected);

/// <summary>One choice of the service and route picker: "" (all), "SERVICE" (all its routes) or "SERVICE ROUTE".</summary>
public sealed record SeriesChoice(string Value, string Label, bool Selected);

/// <summary>A row of the charts' text alternative: a measure over the whole range and in the latest step.</summary>
public sealed record MeasureRow(string Id, string Measure, string Whole, string Latest);

/// <summary>One service and route over the range.</summary>
public sealed record SeriesRow(string Service, string Route, string Requests, string Errors, string P50, string P95, string P99);

/// <summary>The charts' text alternative (the numbers they draw, for screen readers and for reading): the selection over
/// the range and in its latest step, and every service and route.</summary>
/// <param name="Requests">The selection's requests over the range (the page's tests read it).</param>
public sealed record MetricsSummaryView(string Caption, string LatestHeading, IReadOnlyList<MeasureRow> Measures, IReadOnlyList<SeriesRow> Series,
    long Requests);

/// <summary>An app environment's Metrics tab: the pickers, where the charts fetch their JSON from, and the summary.</summary>
/// <param name="Action">The page's own path: the pickers' form submits to it without script.</param>
/// <param name="Fragment">Where the summary refreshes from when a picker changes (with the form's values).</param>
/// <param name="ChartData">The JSON API's chart endpoint (with ?env= for an environment but production).</param>
/// <param name="Env">The environment, sent along by the form when it is not production.</param>
public sealed record MetricsPageView(AppRow App, IReadOnlyList<RangeChoice> Ranges, IReadOnlyList<SeriesChoice> Series, MetricsSummaryView Summary,
    string Action, string Fragment, string ChartData, string? Env);

/// <summary>An app environment's traffic now, on the platform's Metrics page.</summary>
/// <param name="Metrics">Its Metrics tab.</param>
public sealed record TrafficRow(string App, string Env, string Metrics, string PerMinute, string ErrorRate, string P95, string LastHour, bool Idle);

/// <summary>The platform's Metrics page: every app environment the caller may read, with its traffic now.</summary>
public sealed record PlatformMetricsView(IReadOnlyList<TrafficRow> Apps, string Window, DateTimeOffset Now);

/// <summary>An overview card's sparkline of the last hour: the polylines' points and what they say in words.</summary>
public sealed record SparkView(string Label, string Requests, string Errors, string Text);

/// <summary>An alert, firing or resolved, as the Alerts page lists it.</summary>
/// <param name="Scope">"shop", "shop (staging)" or "platform".</param>
/// <param name="Page">The app environment's page, when it is an app's.</param>
public sealed record AlertRow(string Id, string Rule, string Scope, string Severity, string State, string Title, string Detail, DateTimeOffset StartedAt,
    DateTimeOffset? ResolvedAt, string? Page);

/// <summary>An uptime check and its state, with the pause or resume action when the caller may manage its alerts.</summary>
public sealed record UptimeRow(string Name, string Scope, string Url, string State, string Every, DateTimeOffset? LastCheckedAt, string Last,
    string Availability, string Slo, string? Down, string? PauseAction, string? ResumeAction);

/// <summary>The Alerts page: what fires now, what fired lately, the uptime checks.</summary>
public sealed record AlertsPageView(IReadOnlyList<AlertRow> Firing, IReadOnlyList<AlertRow> History, string HistoryWindow, IReadOnlyList<UptimeRow> Checks,
    DateTimeOffset Now);

/// <summary>An error group (issue) of error tracking.</summary>
/// <param name="Page">Its detail page.</param>
public sealed record IssueRow(long Id, string Title, string? Culprit, string Level, string Status, long Count, long Users, DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen, string? LastRelease, string Page);

/// <summary>An app environment's Errors tab: its issues, newest seen first.</summary>
public sealed record ErrorsPageView(AppRow App, IReadOnlyList<IssueRow> Issues, string Fragment, DateTimeOffset Now);

/// <summary>A button on an issue: the JSON API path it posts to, what it says, what the notice says after it.</summary>
public sealed record TriageAction(string Id, string Label, string Path, string Done);

/// <summary>One exception of an event: its heading and its stack as text (innermost frame first).</summary>
public sealed record ExceptionBlock(string Heading, string Stack);

/// <summary>An issue with its latest event (as `slipway errors show`), and the triage the caller may do.</summary>
public sealed record ErrorDetailView(AppRow App, IssueRow Issue, string? EventId, string? Release, string? Environment, string? Request, string? Message,
    IReadOnlyList<ExceptionBlock> Exceptions, IReadOnlyList<KeyValuePair<string, string>> Tags, IReadOnlyList<string> Breadcrumbs, string? Suggestion,
    IReadOnlyList<TriageAction> Actions, string Fragment, string Back, DateTimeOffset Now);
