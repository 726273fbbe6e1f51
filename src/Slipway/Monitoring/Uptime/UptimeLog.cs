using Microsoft.Extensions.Logging;

namespace Slipway.Monitoring.Uptime;

/// <summary>What the uptime checks write to the platform's log: incidents opening and closing, and faults of the
/// platform itself (never a failing target's, which is a result).</summary>
internal static partial class UptimeLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Uptime check {Check} of {Scope} is down since {Since:O}: {Cause} ({Request})")]
    public static partial void Down(ILogger logger, string check, string scope, DateTimeOffset since, string cause, string request);

    [LoggerMessage(Level = LogLevel.Information, Message = "Uptime check {Check} of {Scope} is up again (down {Duration})")]
    public static partial void Up(ILogger logger, string check, string scope, string duration);

    [LoggerMessage(Level = LogLevel.Error, Message = "Uptime check {Check} could not record its result; it runs again on schedule")]
    public static partial void RecordFailed(ILogger logger, string check, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the uptime checks failed; the running ones go on")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);
}
