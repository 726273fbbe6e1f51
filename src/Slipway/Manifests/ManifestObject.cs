using System.Globalization;
using System.Text.Json;

namespace Slipway.Manifests;

/// <summary>One JSON object of the manifest, checked against the keys allowed at its level. Getters return
/// null when a key is absent or its value is rejected; rejections are recorded with their key path, so the
/// reader can keep going and report everything at once.</summary>
internal sealed class ManifestObject
{
    private readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);
    private readonly ManifestDiagnostics _diagnostics;

    private ManifestObject(string path, ManifestDiagnostics diagnostics)
    {
        Path = path;
        _diagnostics = diagnostics;
    }

    public string Path { get; }

    /// <summary>Opens <paramref name="element"/> as an object allowing only <paramref name="knownKeys"/>.
    /// <paramref name="misplaced"/> maps common wrong keys to a hint, better than edit distance can give
    /// ("drainTimeout" inside a service: "did you mean deploy.drainTimeout?").</summary>
    public static ManifestObject? Open(JsonElement element, string path, ManifestDiagnostics diagnostics,
        IReadOnlyList<string> knownKeys, IReadOnlyDictionary<string, string>? misplaced = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            diagnostics.Error(path, $"expected an object {{ ... }}, got {Describe(element)}");
            return null;
        }

        var result = new ManifestObject(path, diagnostics);
        foreach (var property in element.EnumerateObject())
        {
            var keyPath = ManifestDiagnostics.Join(path, property.Name);
            if (!knownKeys.Contains(property.Name))
                UnknownKey(property.Name, path, diagnostics, knownKeys, misplaced);
            else if (!result._values.TryAdd(property.Name, property.Value))
                diagnostics.Error(keyPath, $"\"{property.Name}\" appears more than once; keep one");
        }

        return result;
    }

    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>The allowed keys present in the object, valid values or not.</summary>
    public IReadOnlyCollection<string> Keys => _values.Keys;

    public string PathOf(string key) => ManifestDiagnostics.Join(Path, key);

    /// <summary>The raw value, for maps (services, env) that the caller walks itself.</summary>
    public JsonElement? Raw(string key) => _values.TryGetValue(key, out var value) ? value : null;

    public ManifestObject? Object(string key, IReadOnlyList<string> knownKeys,
        IReadOnlyDictionary<string, string>? misplaced = null) =>
        _values.TryGetValue(key, out var value) ? Open(value, PathOf(key), _diagnostics, knownKeys, misplaced) : null;

    /// <summary>An array of objects (rewrites, crons), each opened with <paramref name="knownKeys"/> at path
    /// "key[i]". Items that are not objects are reported and left out. Lazy, so a caller that reads each item
    /// as it comes reports errors in document order.</summary>
    public IEnumerable<ManifestObject> Objects(string key, IReadOnlyList<string> knownKeys, string example)
    {
        if (!_values.TryGetValue(key, out var value))
            yield break;
        if (value.ValueKind != JsonValueKind.Array)
        {
            Error(key, $"expected a list like [{example}], got {Describe(value)}");
            yield break;
        }

        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (Open(item, $"{PathOf(key)}[{index++}]", _diagnostics, knownKeys) is { } opened)
                yield return opened;
        }
    }

    /// <summary>Like <see cref="String"/>, and reports the key as missing when it is absent.</summary>
    public string? RequiredString(string key, string expected)
    {
        if (!_values.ContainsKey(key))
        {
            _diagnostics.Error(PathOf(key), $"missing; expected {expected}");
            return null;
        }

        return String(key, expected);
    }

    /// <summary>A non-empty string. Null is rejected unless <paramref name="nullable"/>: commands accept null
    /// to mean "none, and do not detect one".</summary>
    public string? String(string key, string expected = "a string", bool nullable = false)
    {
        if (!_values.TryGetValue(key, out var value) || (nullable && value.ValueKind == JsonValueKind.Null))
            return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            Error(key, $"expected {expected}, got {Describe(value)}");
            return null;
        }

        var text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
        {
            var fix = nullable ? "; use null for none, or remove the key to use the default" : "";
            Error(key, $"expected {expected}, got an empty string{fix}");
            return null;
        }

        return text;
    }

    public bool? Bool(string key)
    {
        if (!_values.TryGetValue(key, out var value))
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Reject<bool>(key, $"expected true or false, got {Describe(value)}"),
        };
    }

    public int? Int(string key, int min, int max)
    {
        if (!_values.TryGetValue(key, out var value))
            return null;
        // 2.0 counts as whole, as it does for the schema's "integer".
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && number == Math.Floor(number)
            && number >= min && number <= max)
            return (int)number;
        return Reject<int>(key, $"expected a whole number from {min} to {max}, got {Describe(value)}");
    }

    /// <summary>A positive duration: a zero timeout or interval is always a mistake.</summary>
    public TimeSpan? Duration(string key)
    {
        if (!_values.TryGetValue(key, out var value))
            return null;
        if (!Durations.TryParse(value, out var duration))
        {
            var hint = value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(),
                NumberStyles.Float, CultureInfo.InvariantCulture, out _)
                ? " (add a unit: ms, s, m or h)"
                : "";
            return Reject<TimeSpan>(key,
                $"expected a duration like {Durations.Example} or \"1h30m\", got {Describe(value)}{hint}");
        }

        if (duration <= TimeSpan.Zero)
            return Reject<TimeSpan>(key, $"expected a duration greater than zero, got {Describe(value)}");
        return duration;
    }

    /// <summary>One of a fixed set of strings, with "did you mean" for near misses.</summary>
    public T? Enum<T>(string key, IReadOnlyDictionary<string, T> values) where T : struct
    {
        if (!_values.TryGetValue(key, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.String && values.TryGetValue(value.GetString()!, out var result))
            return result;

        var choices = string.Join(", ", values.Keys.Select(name => $"\"{name}\""));
        var closest = value.ValueKind == JsonValueKind.String ? Suggestions.Closest(value.GetString()!, values.Keys) : null;
        var hint = closest is null ? "" : $"; did you mean \"{closest}\"?";
        return Reject<T>(key, $"expected one of {choices}, got {Describe(value)}{hint}");
    }

    /// <summary>Records an error for <paramref name="key"/> found by a caller-specific rule.</summary>
    public void Error(string key, string message) => _diagnostics.Error(PathOf(key), message);

    /// <summary>How a value looks in an error message: strings quoted (and shortened), others by kind.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Quote(value.GetString()!),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => value.ValueKind.ToString(),
    };

    public static string Quote(string text) =>
        "\"" + (text.Length > 60 ? text[..57] + "..." : text).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private T? Reject<T>(string key, string message) where T : struct
    {
        Error(key, message);
        return null;
    }

    private static void UnknownKey(string key, string path, ManifestDiagnostics diagnostics,
        IReadOnlyList<string> knownKeys, IReadOnlyDictionary<string, string>? misplaced)
    {
        var keyPath = ManifestDiagnostics.Join(path, key);
        if (misplaced is not null && misplaced.TryGetValue(key, out var elsewhere))
        {
            diagnostics.Error(keyPath, $"unknown key \"{key}\" here; {elsewhere}");
            return;
        }

        var choices = knownKeys.Where(known => !known.StartsWith('$')).ToList();
        var closest = Suggestions.Closest(key, choices);
        if (closest is null)
        {
            diagnostics.Error(keyPath, $"unknown key \"{key}\"; allowed here: {string.Join(", ", choices)}");
            return;
        }

        diagnostics.Error(keyPath, $"unknown key \"{key}\"; did you mean \"{closest}\"?");
        // "typ": "static" was meant as the type: rules that depend on the type would only guess.
        diagnostics.Uncertain(ManifestDiagnostics.Join(path, closest));
    }
}
