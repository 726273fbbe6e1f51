using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Alerts.Channels;

/// <summary>Whether a channel's last attempt got through. A failing channel keeps its deliveries and retries them
/// (each until it is sent or given up).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<ChannelState>))]
internal enum ChannelState
{
    Up,
    Failing,
}
