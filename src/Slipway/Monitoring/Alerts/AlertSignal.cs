namespace Slipway.Monitoring.Alerts;

/// <summary>One condition that holds now, as an <see cref="IAlertSource"/> sees it: "the uptime check of shop is
/// failing", "backup of db main is 30 h old". The engine turns a signal that appears into a firing alert and one that
/// is gone (for the rule's hold-down) into a resolved one, so a source never remembers what it reported.</summary>
/// <param name="Rule">The rule's name ("uptime", "error-rate", a custom rule's name).</param>
/// <param name="Subject">What the condition is about, stable while it lasts and unique within the rule and app:
/// "web", "db:main", "check:shop-home", "cron:nightly". With the rule and app it is the alert's identity, so the
/// same condition seen again is the same alert, never a second notice.</param>
/// <param name="App">The app environment's row key ("shop", "shop-staging"), or null for the platform (disk,
/// the managed PostgreSQL).</param>
/// <param name="Title">One line for a chat message or an e-mail subject: "shop: uptime check failing".</param>
/// <param name="Detail">What was measured and what to look at or run next; never a secret.</param>
internal sealed record AlertSignal(string Rule, string Subject, string? App, AlertSeverity Severity, string Title, string Detail);
