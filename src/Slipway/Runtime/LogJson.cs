using System.Text.Json.Serialization;

namespace Slipway.Runtime;

[JsonSerializable(typeof(LogEntry))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class LogJson : JsonSerializerContext;
