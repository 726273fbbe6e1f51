using System.Text.Json;
using System.Text.Json.Serialization;

namespace Slipway.Edge;

/// <summary>Serializes the edge's problem+json error pages without reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ErrorPages.Problem))]
internal sealed partial class ProblemJson : JsonSerializerContext;
