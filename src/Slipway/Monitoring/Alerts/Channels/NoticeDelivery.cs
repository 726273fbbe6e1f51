namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>One notice of an alert and how it went with one channel (<c>slipway alerts history</c>).</summary>
/// <param name="Attempts">Attempts made so far (0 for a delivery not tried yet, or suppressed).</param>
/// <param name="Error">The last attempt's error, scrubbed of the channel's secrets; why it failed or was suppressed.</param>
internal sealed record NoticeDelivery(string NoticeId, NoticeKind Kind, string Channel, DeliveryState State, int Attempts, DateTimeOffset? SentAt,
    string? Error);
