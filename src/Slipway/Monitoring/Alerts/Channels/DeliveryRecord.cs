namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>A row of `alert_deliveries` (schema step 12): one notice for one channel. <see cref="Kind"/> is the
/// notice's kind, or "summary" for the message that counts suppressed notices (its <see cref="Notice"/> is a
/// <see cref="SuppressedSummary"/>, its <see cref="AlertId"/> empty).</summary>
internal sealed record DeliveryRecord(long Id, string NoticeId, string AlertId, string Kind, string Channel, string State, long Attempts,
    DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, DateTimeOffset? SentAt, string? Error, string Notice, long Summarized)
{
    public const string SummaryKind = "summary";

    public DeliveryState DeliveryState => JsonSpellings.Parse<DeliveryState>(State);

    public bool IsSummary => Kind == SummaryKind;
}
