using System.Text.Json;

namespace Slipway.Domains.Acme;

/// <summary>Reading the CA's JSON by hand (no reflection, no trimming surprises): members that are missing or of
/// another kind read as null, and the caller decides whether that is an error.</summary>
internal static class AcmeJson
{
    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static bool Bool(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    public static Uri? Url(JsonElement element, string name) =>
        String(element, name) is { } text && Uri.TryCreate(text, UriKind.Absolute, out var url) ? url : null;

    public static JsonElement? Object(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    public static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];

    /// <summary>The value of a {"type": "dns", "value": "..."} identifier.</summary>
    public static string? Identifier(JsonElement element) =>
        Object(element, "identifier") is { } identifier ? String(identifier, "value") : null;

    public static DateTimeOffset? Time(JsonElement element, string name) =>
        String(element, name) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToUniversalTime()
            : null;
}
