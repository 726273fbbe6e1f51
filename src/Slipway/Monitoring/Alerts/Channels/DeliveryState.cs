using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Where one notice stands with one channel.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<DeliveryState>))]
internal enum DeliveryState
{
    /// <summary>Waiting for its channel's sender (a first attempt, or a retry after backoff).</summary>
    Pending,

    /// <summary>The channel took it (2xx, or the SMTP server accepted the message).</summary>
    Sent,

    /// <summary>Given up: out of attempts or time, or the channel does not exist (or was removed).</summary>
    Failed,

    /// <summary>Over the channel's rate limit: not sent on its own; counted in one summary message later.</summary>
    Suppressed,
}
