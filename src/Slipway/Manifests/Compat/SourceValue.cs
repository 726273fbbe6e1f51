using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>Where a value of a converted manifest came from: the other platform's file, the key as that file spells
/// it (<c>deploy.startCommand</c>, <c>services[0].buildCommand</c>, a Procfile's process type <c>worker</c>) and what
/// the file says there, e.g. railway.json deploy.healthcheckTimeout 60 for healthcheck.startTimeout "60s".</summary>
/// <param name="Derived">The value follows from the key without being a form of what it says (railway.json's
/// cronSchedule makes service "web" a worker; the install split off a build command), so writing
/// <paramref name="Raw"/> in slipway.json does not restate it.</param>
internal sealed record SourceValue(string File, string Key, JsonNode? Raw, bool Derived = false)
{
    private static readonly JsonSerializerOptions ShowOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static SourceValue Of(string file, string key, JsonElement raw) => new(file, key, Conversion.Node(raw));

    public static SourceValue Of(string file, string key, string raw) => new(file, key, JsonValue.Create(raw));

    public static SourceValue Implied(string file, string key, JsonElement raw) => new(file, key, Conversion.Node(raw), Derived: true);

    /// <summary>True when <paramref name="value"/> is written as the file writes it.</summary>
    public bool IsRaw(JsonNode? value) => !Derived && JsonNode.DeepEquals(Raw, value);

    /// <summary><c>railway.json deploy.startCommand ("npm run serve")</c>, with what the conversion made of it when
    /// that differs: <c>railway.json deploy.healthcheckTimeout (60, converted to "60s")</c>.</summary>
    public string Describe(JsonNode? converted) => JsonNode.DeepEquals(Raw, converted)
        ? $"{File} {Key} ({Show(Raw)})"
        : $"{File} {Key} ({Show(Raw)}, converted to {Show(converted)})";

    /// <summary>A value as a message shows it: a string quoted, anything else as compact JSON, long ones shortened.</summary>
    public static string Show(JsonNode? value)
    {
        if (value is JsonValue text && text.TryGetValue<string>(out var s))
            return ManifestObject.Quote(s);
        var json = value?.ToJsonString(ShowOptions) ?? "null";
        return json.Length > 60 ? json[..57] + "..." : json;
    }
}
