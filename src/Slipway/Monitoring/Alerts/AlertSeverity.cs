using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts;

/// <summary>How urgent an alert is: a channel can take only critical ones (a pager) or all (a team chat).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<AlertSeverity>))]
internal enum AlertSeverity
{
    Warning,
    Critical,
}
