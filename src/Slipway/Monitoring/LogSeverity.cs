using Slipway.Runtime;

namespace Slipway.Monitoring;

/// <summary>How bad a line is, in syslog's numbers (RFC 5424 §6.2.1). Today it comes from the stream: what an app
/// writes to stderr is an error, everything else informational. This is the one place that decides it, so when log
/// entries carry a level of their own, only this function changes.</summary>
internal static class LogSeverity
{
    public const int Error = 3;
    public const int Informational = 6;

    public static int Of(LogEntry entry) => entry.Kind == "err" ? Error : Informational;
}
