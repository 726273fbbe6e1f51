using System.Text.Json;

namespace Slipway.Git.Forges;

/// <summary>A JSON value of a webhook payload and the path that reached it ("pull_request.head"), so a field that is
/// missing or of the wrong kind is named the way the forge's documentation names it. A member that is absent and one
/// that is null are the same: forges write null for what they leave out.</summary>
internal readonly struct PayloadNode
{
    private readonly JsonElement _element;
    private readonly string _path;
    private readonly string _source;

    private PayloadNode(JsonElement element, string path, string source)
    {
        _element = element;
        _path = path;
        _source = source;
    }

    /// <summary>The payload's top object; <paramref name="source"/> names it in messages ("GitHub pull_request").</summary>
    public static PayloadNode Root(JsonElement element, string source) =>
        element.ValueKind == JsonValueKind.Object ? new(element, "", source) : throw Malformed($"The {source} payload is a JSON {Kind(element.ValueKind)}, not an object.");

    public PayloadNode Object(string name) => Member(name, JsonValueKind.Object) ?? throw Missing(name);

    public PayloadNode? OptionalObject(string name) => Member(name, JsonValueKind.Object);

    /// <summary>A string that must be there and not be empty.</summary>
    public string String(string name) => OptionalString(name) is { Length: > 0 } value ? value : throw Missing(name);

    /// <summary>A commit's id: 40 hex digits (SHA-1), or 64 (SHA-256 repositories). Anything else is refused here, so
    /// what reaches git as a revision is never an option or a ref name.</summary>
    public string Sha(string name)
    {
        var sha = String(name);
        return sha.Length is 40 or 64 && sha.All(char.IsAsciiHexDigit) ? sha : throw Wrong(PathOf(name), "a commit sha (40 or 64 hex digits)", $"'{(sha.Length > 70 ? sha[..70] + "..." : sha)}'");
    }

    public string? OptionalString(string name) => Member(name, JsonValueKind.String)?._element.GetString();

    /// <summary>A time as forges write it: ISO 8601 ("2026-12-05T10:00:00Z"), or older GitLab's "2026-12-05 10:00:00 UTC";
    /// null when absent or unreadable.</summary>
    public DateTimeOffset? OptionalTime(string name)
    {
        // Any other kind (an epoch number a proxy wrote) is unreadable too: the delivery is still acted on.
        if (!_element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { } text)
        {
            return null;
        }
        var styles = System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal;
        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, styles, out var at)
            || DateTimeOffset.TryParseExact(text, "yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture, styles, out at)
            ? at
            : null; // Only orders late deliveries: one without it is taken as the platform receives it.
    }

    public long Number(string name) => OptionalNumber(name) ?? throw Missing(name);

    public long? OptionalNumber(string name) => Member(name, JsonValueKind.Number) is { } node
        ? node._element.TryGetInt64(out var value) ? value : throw Wrong(node._path, "a whole number", node._element.ToString())
        : null;

    public bool? OptionalBool(string name)
    {
        if (!_element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Wrong(PathOf(name), "true or false", $"a JSON {Kind(value.ValueKind)}");
    }

    /// <summary>The objects an array holds (none when it is absent), each with its index in its path ("commits[2]").</summary>
    public IEnumerable<PayloadNode> Objects(string name)
    {
        if (Member(name, JsonValueKind.Array) is not { } array)
        {
            yield break;
        }
        var index = 0;
        foreach (var item in array._element.EnumerateArray())
        {
            var path = $"{array._path}[{index++}]";
            yield return item.ValueKind == JsonValueKind.Object ? new PayloadNode(item, path, _source) : throw Wrong(path, "a JSON object", $"a JSON {Kind(item.ValueKind)}");
        }
    }

    private PayloadNode? Member(string name, JsonValueKind kind)
    {
        if (!_element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == kind ? new PayloadNode(value, PathOf(name), _source) : throw Wrong(PathOf(name), $"a JSON {Kind(kind)}", $"a JSON {Kind(value.ValueKind)}");
    }

    private string PathOf(string name) => _path.Length == 0 ? name : $"{_path}.{name}";

    private UserException Missing(string name) => Malformed($"{PathOf(name)} is missing from the {_source} payload.");

    private UserException Wrong(string path, string expected, string found) => Malformed($"{path} in the {_source} payload is {found}, not {expected}.");

    /// <summary>What the forge sent is not what it documents: the webhook points at the wrong forge's URL, or sends
    /// a form (GitHub and Gitea offer application/x-www-form-urlencoded) instead of JSON.</summary>
    public static UserException Malformed(string problem) =>
        new($"{problem} Check that the webhook's URL names the forge that sends it and that its content type is application/json.");

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
