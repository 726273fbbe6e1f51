using System.Text.Json.Serialization;

namespace Slipway.Runtime;

/// <summary>How bad a log line is, mildest first (so "error or worse" is <c>>= Error</c>). Spelled "trace" ...
/// "fatal" in JSON and on the command line. Not called LogLevel: that name is Microsoft.Extensions.Logging's.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<LogSeverity>))]
internal enum LogSeverity
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}
