using Microsoft.Extensions.Logging;

namespace Slipway.Monitoring;

/// <summary>What the drains write to the platform's log. A drain is named by its name, whose lines and its masked
/// destination; errors are the scrubbed ones its target reports: never a URL, credential or header value.</summary>
internal static partial class DrainLog
{
    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Log drain {Drain} of {Scope} to {Destination} is failing: {Error}; its lines wait in its buffer and are retried")]
    public static partial void Failing(ILogger logger, string drain, string scope, string destination, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log drain {Drain} of {Scope} to {Destination} delivers again")]
    public static partial void Recovered(ILogger logger, string drain, string scope, string destination);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Log drain {Drain} of {Scope} cannot start: its sealed URL or headers cannot be opened ({Reason}); remove it and add it again")]
    public static partial void CannotOpen(ILogger logger, string drain, string scope, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The status of log drain {Drain} could not be saved; it is saved again at the next change")]
    public static partial void StatusNotSaved(ILogger logger, string drain, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log drain {Drain} stopped sending because of a bug")]
    public static partial void SenderBroken(ILogger logger, string drain, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the log drains failed; the running ones go on")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);
}
