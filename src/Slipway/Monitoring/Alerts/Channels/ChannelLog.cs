using Microsoft.Extensions.Logging;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>What the alert channels write to the platform's log. A channel is named by its name and masked
/// destination; errors are the scrubbed ones its target reports: never a URL, token or password.</summary>
internal static partial class ChannelLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert channel {Channel} ({Destination}) is failing: {Error}; its notices are retried")]
    public static partial void Failing(ILogger logger, string channel, string destination, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert channel {Channel} ({Destination}) delivers again")]
    public static partial void Recovered(ILogger logger, string channel, string destination);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Alert notice {Notice} ({Title}) was not delivered to channel {Channel} ({Destination}) after {Attempts} attempts: {Error}")]
    public static partial void GaveUp(ILogger logger, string notice, string title, string channel, string destination, long attempts, string error);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Alert channel {Channel} cannot start: its sealed secrets cannot be opened ({Reason}); remove it and add it again")]
    public static partial void CannotOpen(ILogger logger, string channel, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Alert channel {Channel}'s sender hit a bug; it tries again in a moment")]
    public static partial void SenderBroken(ILogger logger, string channel, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the alert channels failed; the running ones go on")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);
}
