namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>What one summary message says about notices a channel's rate limit held back: how many, between when, and
/// the first few titles.</summary>
internal sealed record SuppressedSummary(int Count, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<string> Titles, int Limit, TimeSpan Window);
