using System.Text.Json.Serialization;

namespace Slipway.Monitoring;

/// <summary>Whether a drain's receiver takes its lines. A failing drain keeps its lines in its buffer and retries.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<DrainState>))]
internal enum DrainState
{
    Up,
    Failing,
}
