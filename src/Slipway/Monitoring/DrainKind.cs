using System.Text.Json.Serialization;

namespace Slipway.Monitoring;

/// <summary>How a drain ships lines: NDJSON batches POSTed over HTTPS, or RFC 5424 syslog over TCP or TLS.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<DrainKind>))]
internal enum DrainKind
{
    Https,
    Syslog,
}
