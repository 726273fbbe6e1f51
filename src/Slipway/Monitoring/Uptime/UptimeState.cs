using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Uptime;

/// <summary>A check's state in `uptime ls`: down while an incident is open.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<UptimeState>))]
internal enum UptimeState
{
    /// <summary>No result yet.</summary>
    Unknown,
    Up,
    Down,
    Paused,
}
