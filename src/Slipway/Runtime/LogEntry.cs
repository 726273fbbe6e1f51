using System.Text.Json.Serialization;

namespace Slipway.Runtime;

/// <summary>One captured line. Kind: "out"/"err" for app output, "platform" for what Slipway says about an instance,
/// "access" for the edge's access log, "build", "release", "deploy" for deployment steps, "status" for a deployment
/// status change (Message holds the new status). Message is the line exactly as printed (secrets redacted), a JSON
/// line included. Level is stored only when it is not the line's default (<see cref="LogLevels"/>): the level a JSON
/// line declares, a platform warning, a failed request; "l" is absent from older files and from plain lines.</summary>
internal sealed record LogEntry(
    [property: JsonPropertyName("t")] DateTimeOffset At,
    [property: JsonPropertyName("k")] string Kind,
    [property: JsonPropertyName("m")] string Message,
    [property: JsonPropertyName("d")] string? Deployment = null,
    [property: JsonPropertyName("s")] string? Service = null,
    [property: JsonPropertyName("i")] string? Instance = null,
    [property: JsonPropertyName("l")] LogSeverity? Level = null)
{
    /// <summary>The kind of the last entry of a stream that failed after it began (a --grep that timed out on a line
    /// being followed): its message is the error. Never stored.</summary>
    public const string ErrorKind = "error";

    /// <summary>The stored level, else the stream's: stderr error, anything else info.</summary>
    [JsonIgnore]
    public LogSeverity EffectiveLevel => Level ?? (Kind == "err" ? LogSeverity.Error : LogSeverity.Info);

    /// <summary>A line an app process printed, with the level it declares (parsed here, as it is captured).</summary>
    public static LogEntry Output(OutputLine line, string? deployment, string? service, string? instance) =>
        new(line.At, line.Stream == OutputStream.Stdout ? "out" : "err", line.Text, deployment, service, instance,
            LogLevels.OfLine(line.Text) is { } level && level != LogLevels.OfStream(line.Stream) ? level : null);
}
