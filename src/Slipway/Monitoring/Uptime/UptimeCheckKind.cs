using System.Text.Json.Serialization;

namespace Slipway.Monitoring.Uptime;

/// <summary>Where a check comes from: a URL a user added, or the one every deployed app environment gets.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<UptimeCheckKind>))]
internal enum UptimeCheckKind
{
    /// <summary>`slipway uptime add URL`.</summary>
    User,

    /// <summary>An app environment's own URL through the edge, while it has a live deployment.</summary>
    Default,
}
