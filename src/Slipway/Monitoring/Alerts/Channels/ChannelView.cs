namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>A channel as `channels ls` and the API show it. Never a secret: the destination is scheme://host:port with
/// user info, path and query masked (e-mail: the recipients, which are not secrets, and the masked SMTP server).</summary>
/// <param name="Severity">The least severity it takes.</param>
/// <param name="Apps">The apps whose alerts it takes; empty: every app's and the platform's.</param>
/// <param name="Pending">Deliveries waiting to be sent (retries included).</param>
/// <param name="LastError">The last failed attempt's error, scrubbed of the channel's secrets.</param>
internal sealed record ChannelView(string Name, ChannelKind Kind, string Destination, AlertSeverity Severity, IReadOnlyList<string> Apps,
    ChannelState State, long Delivered, long Failed, long Suppressed, int Pending, DateTimeOffset? LastDeliveredAt, string? LastError,
    DateTimeOffset? LastErrorAt, DateTimeOffset CreatedAt);

/// <summary>What `channels add` answers: the channel, and once only, a webhook's signing secret (the receiver checks
/// Slipway-Signature with it; it is never shown again).</summary>
internal sealed record ChannelAdded(ChannelView Channel, string? SigningSecret);

/// <summary>What `alerts test CHANNEL` answers: whether one test notice got through, how long it took, or why not.</summary>
internal sealed record ChannelTestResult(string Channel, ChannelKind Kind, string Destination, bool Delivered, long Milliseconds, string? Error);
