using System.Text.Json;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>A row of `alert_channels` (schema step 12) as stored: text columns, secrets sealed in
/// <see cref="SecretsEnc"/>. The status columns are what its sender last saved.</summary>
internal sealed record ChannelRecord(string Id, string Name, string Kind, string Destination, string Recipients, string? Sender, string SecretsEnc,
    string MinSeverity, string Apps, DateTimeOffset CreatedAt, string State, long Delivered, long Failed, long Suppressed,
    DateTimeOffset? LastDeliveredAt, string? LastError, DateTimeOffset? LastErrorAt)
{
    public ChannelKind ChannelKind => JsonSpellings.Parse<ChannelKind>(Kind);

    public AlertSeverity Severity => JsonSpellings.Parse<AlertSeverity>(MinSeverity);

    public IReadOnlyList<string> AppNames => JsonSerializer.Deserialize<List<string>>(Apps) ?? [];

    public IReadOnlyList<string> RecipientList => JsonSerializer.Deserialize<List<string>>(Recipients) ?? [];

    /// <summary>Whether a notice of <paramref name="severity"/> about app <paramref name="app"/> (the app's name, every
    /// environment; null: the platform) passes the channel's filters.</summary>
    public bool Takes(AlertSeverity severity, string? app)
    {
        var apps = AppNames;
        return severity >= Severity && (apps.Count == 0 || (app is not null && apps.Contains(app, StringComparer.Ordinal)));
    }
}
