using Slipway.Runtime;

namespace Slipway.Monitoring;

/// <summary>A line's syslog severity (RFC 5424 §6.2.1) from its level (<see cref="LogEntry.EffectiveLevel"/>: the
/// level a JSON line declares, else stderr error and anything else informational).</summary>
internal static class SyslogSeverity
{
    public const int Critical = 2;
    public const int Error = 3;
    public const int Warning = 4;
    public const int Informational = 6;
    public const int Debug = 7;

    public static int Of(LogEntry entry) => entry.EffectiveLevel switch
    {
        LogSeverity.Fatal => Critical,
        LogSeverity.Error => Error,
        LogSeverity.Warn => Warning,
        LogSeverity.Info => Informational,
        _ => Debug,
    };
}
