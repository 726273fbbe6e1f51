namespace Slipway.Monitoring.Alerts;

/// <summary>What <c>alerts set</c> and <c>alerts add</c> send: every field optional; thresholds as written ("5%",
/// "800ms", "3"), read in the rule's unit.</summary>
internal sealed record AlertRuleBody(
    string? Name = null,
    bool? Enabled = null,
    string? Metric = null,
    string? Over = null,
    string? Under = null,
    string? For = null,
    int? MinRequests = null,
    int? Count = null,
    string? Severity = null,
    IReadOnlyList<string>? Channels = null,
    string? Service = null,
    string? Route = null);
