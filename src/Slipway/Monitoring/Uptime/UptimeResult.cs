namespace Slipway.Monitoring.Uptime;

/// <summary>One check's outcome: when it started, whether the answer was expected, the status (null when none came)
/// and how long it took. <see cref="Error"/> says why a failure failed ("HTTP 502", "timeout after 10s",
/// "connection refused", "cannot resolve shop.example", "TLS: ..."); it is null for a success.</summary>
internal sealed record UptimeResult(DateTimeOffset At, bool Ok, int? Status, double Milliseconds, string? Error);
