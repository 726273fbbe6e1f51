using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts;

[JsonConverter(typeof(KebabCaseEnumConverter<AlertState>))]
internal enum AlertState
{
    Firing,
    Resolved,
}

/// <summary>One alert (a row of table alerts): a condition that held from <see cref="StartedAt"/> until
/// <see cref="ResolvedAt"/>. At most one firing row per rule, app row ("" for the platform) and subject.</summary>
internal sealed record AlertRecord(string Id, string Rule, string Subject, string App, string Severity, string Title, string Detail,
    string Channels, string State, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt, DateTimeOffset? ResolvedAt)
{
    public AlertState AlertState => JsonSpellings.Parse<AlertState>(State);

    public AlertSeverity AlertSeverity => JsonSpellings.Parse<AlertSeverity>(Severity);

    public IReadOnlyList<string> ChannelNames => System.Text.Json.JsonSerializer.Deserialize<List<string>>(Channels) ?? [];

    /// <summary>The app row, or null for a platform alert.</summary>
    public string? AppRow => App.Length == 0 ? null : App;

    public (string Rule, string App, string Subject) Key => (Rule, App, Subject);
}
