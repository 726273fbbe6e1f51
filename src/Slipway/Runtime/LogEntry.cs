using System.Text.Json.Serialization;

namespace Slipway.Runtime;

/// <summary>One captured line. Kind: "out"/"err" for app output, "build", "release", "deploy" for deployment
/// steps, "status" for a deployment status change (Message holds the new status).</summary>
internal sealed record LogEntry(
    [property: JsonPropertyName("t")] DateTimeOffset At,
    [property: JsonPropertyName("k")] string Kind,
    [property: JsonPropertyName("m")] string Message,
    [property: JsonPropertyName("d")] string? Deployment = null,
    [property: JsonPropertyName("s")] string? Service = null,
    [property: JsonPropertyName("i")] string? Instance = null);
