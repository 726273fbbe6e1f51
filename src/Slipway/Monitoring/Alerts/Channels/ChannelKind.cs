using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>How a channel tells people: a signed JSON POST, a Slack- or Discord-compatible incoming webhook, or e-mail
/// over SMTP.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<ChannelKind>))]
internal enum ChannelKind
{
    Webhook,
    Slack,
    Discord,
    Email,
}
