using System.Text.Json;
using System.Text.Json.Nodes;

namespace Slipway.Manifests.Compat;

/// <summary>One conversion in progress: the slipway.json being written, plus every warning and error so far.
/// Converters walk each foreign object key by key and either map a key or call <see cref="Ignored"/>, so
/// nothing is dropped without a word.</summary>
internal sealed class Conversion
{
    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly List<string> _warnings = [];
    private readonly List<ManifestError> _errors = [];
    private readonly List<(JsonObject Service, string File, string Key)> _builds = [];

    public Conversion(string sourceDir)
    {
        SourceDir = sourceDir;
    }

    public string SourceDir { get; }

    /// <summary>The slipway.json being built. Keys may be added in any order; <see cref="Finish"/> sorts them.</summary>
    public JsonObject Manifest { get; } = new() { ["services"] = new JsonObject() };

    public JsonObject Services => Manifest["services"]!.AsObject();

    public bool Failed => _errors.Count > 0;

    public JsonObject Service(string name) => Child(Services, name);

    /// <summary>The object at <paramref name="key"/> in <paramref name="parent"/> ("healthcheck"), created on first use.</summary>
    public static JsonObject Child(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
            return existing;
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    /// <summary>The top-level "routes", created on first use.</summary>
    public JsonObject Routes => Child(Manifest, "routes");

    /// <summary>The top-level "crons", created on first use.</summary>
    public JsonArray Crons
    {
        get
        {
            if (Manifest["crons"] is JsonArray existing)
                return existing;
            var created = new JsonArray();
            Manifest["crons"] = created;
            return created;
        }
    }

    /// <summary>Sets a service's build command from the foreign file's <paramref name="key"/>. An install at its
    /// start ("npm ci &amp;&amp; npm run build") is taken out when the conversion finishes (<see cref="InstallInBuild"/>),
    /// once every key that could declare the service's install has been read.</summary>
    public void Build(JsonObject service, string file, string key, JsonElement value)
    {
        service["build"] = Node(value);
        _builds.Add((service, file, key));
    }

    public void Ignored(string file, string key, string? hint = null) =>
        _warnings.Add($"{file}: {key} is not supported and was ignored" + (hint is null ? "" : $"; {hint}"));

    public void Warn(string file, string key, string message) => _warnings.Add($"{file}: {key}: {message}");

    public void Error(string file, string message) => _errors.Add(new ManifestError("", $"{file}: {message}"));

    /// <summary>Parses a JSON file (comments and trailing commas allowed); null after reporting an error.</summary>
    public JsonElement? ReadJson(string file)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(SourceDir, file)), ParseOptions);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return document.RootElement.Clone();
            Error(file, $"expected a JSON object {{ ... }} at the top, got {ManifestObject.Describe(document.RootElement)}");
        }
        catch (JsonException e)
        {
            Error(file, $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {ManifestLoader.JsonReason(e)}");
        }

        return null;
    }

    /// <summary>The properties of <paramref name="element"/> when it is an object; otherwise a warning that the
    /// value at <paramref name="key"/> was ignored, and none.</summary>
    public IEnumerable<JsonProperty> Properties(string file, string key, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
            return element.EnumerateObject();
        Warn(file, key, $"expected an object, got {ManifestObject.Describe(element)}; ignored");
        return [];
    }

    /// <summary>The value as JSON for the manifest. Values of the wrong type go through unchanged, so the
    /// manifest reader reports them with its usual message.</summary>
    public static JsonNode? Node(JsonElement element) => JsonSerializer.SerializeToNode(element);

    /// <summary>A duration in seconds from another platform, as slipway.json writes one ("30s").</summary>
    public static JsonNode? Seconds(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var seconds) && seconds > 0
            ? JsonValue.Create($"{seconds}s")
            : Node(element);

    public ConversionResult Finish(string source)
    {
        if (Failed)
            return new ConversionResult.Failed(source, _errors);
        foreach (var (service, file, key) in _builds)
            InstallInBuild.Split(this, service, file, key);
        return new ConversionResult.Converted(source, ManifestLayout.Write(Manifest), _warnings);
    }
}
