using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts;

[JsonConverter(typeof(KebabCaseEnumConverter<NoticeKind>))]
internal enum NoticeKind
{
    /// <summary>The condition started (after its rule's "for").</summary>
    Firing,

    /// <summary>The condition has been gone for the rule's hold-down.</summary>
    Resolved,

    /// <summary><c>slipway alerts test CHANNEL</c>: proves a channel works; no alert behind it.</summary>
    Test,
}

/// <summary>What a channel is asked to tell people: one alert firing or resolved. The same
/// <see cref="AlertId"/> and <see cref="Kind"/> is never handed over twice (the engine's state is in the database), so a
/// channel that sends it once has deduplicated.</summary>
/// <param name="Id">Unique per notice (a receiver can deduplicate a retried delivery by it).</param>
/// <param name="AlertId">The alert: the same for its firing and its resolved notice.</param>
/// <param name="App">The app environment's row key, or null for the platform.</param>
/// <param name="Channels">Channel names the rule names; empty: every channel whose filters take the notice.</param>
/// <param name="Url">Where to look (the app's URL, the check's URL), when there is one.</param>
internal sealed record AlertNotice(
    string Id,
    string AlertId,
    NoticeKind Kind,
    string Rule,
    string Subject,
    string? App,
    AlertSeverity Severity,
    string Title,
    string Detail,
    DateTimeOffset StartedAt,
    DateTimeOffset? ResolvedAt,
    DateTimeOffset At,
    IReadOnlyList<string> Channels,
    string? Url = null);
